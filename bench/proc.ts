/**
 * CPU time of other processes, read from /proc (Linux): how the benchmark measures workerd from outside, since
 * a Worker cannot read its own CPU time (in production its clocks stand still while it computes).
 *   - /proc/<pid>/stat fields 14-15 (utime, stime): the whole process, exited threads included, in clock ticks
 *     (1/CLK_TCK s, usually 10 ms: too coarse for one request, fine for a series);
 *   - /proc/<pid>/task/<tid>/schedstat field 1: nanoseconds on CPU per live thread, summed over the threads.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let tck: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`). */
export function clockTicks(): number {
  if (tck === undefined) {
    try {
      tck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      tck = 100;
    }
  }
  return tck;
}

/** Fields of /proc/<pid>/stat after the command name (field 3 onwards), or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Minor page faults of a process so far (/proc/<pid>/stat field 10): each is a first touch of a fresh memory page. */
export function minorFaults(pid: number): number {
  const f = statFields(pid);
  return f ? Number(f[7]) : NaN;
}

/** utime + stime of a process in milliseconds (tick resolution). */
export function statCpuMs(pid: number): number {
  const f = statFields(pid);
  if (!f) return NaN;
  return ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks();
}

/** CPU time of a process's live threads in milliseconds (nanosecond resolution), or NaN without schedstat. */
export function schedCpuMs(pid: number): number {
  return threadCpuMs(pid).total;
}

/**
 * The same, split: `v8` is the CPU of V8's background threads (named "V8 DefaultWorke..."; they compile hot
 * JavaScript and WebAssembly with the optimizing tier and help the garbage collector), the rest ran on the
 * threads of the runtime itself (workerd runs the Worker on its main thread).
 */
export function threadCpuMs(pid: number): { total: number; v8: number } {
  let ns = 0;
  let v8 = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const t = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        ns += t;
        if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('V8 ')) v8 += t;
      } catch {
        // the thread exited between the listing and the read
      }
    }
  } catch {
    return { total: NaN, v8: NaN };
  }
  return { total: ns / 1e6, v8: v8 / 1e6 };
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  args: string[];
}

/** All processes below `root` (children, grandchildren, ...). */
export function descendants(root: number): ProcInfo[] {
  const all: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const f = statFields(pid);
    if (!f) continue;
    let comm = '';
    let args: string[] = [];
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    all.push({ pid, ppid: Number(f[1]), comm, args });
  }
  const out: ProcInfo[] = [];
  const frontier = [root];
  while (frontier.length) {
    const p = frontier.pop()!;
    for (const c of all) {
      if (c.ppid === p) {
        out.push(c);
        frontier.push(c.pid);
      }
    }
  }
  return out;
}

/** Pids of the members of a process group that are still alive. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f && Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(name));
  }
  return out;
}

/** CPU ms of this process's threads other than the main one (V8's background compilers and GC helpers). */
export function otherThreadsMs(): number {
  let ns = 0;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      if (Number(tid) === process.pid) continue;
      try {
        ns += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // exited
      }
    }
  } catch {
    return NaN;
  }
  return ns / 1e6;
}
