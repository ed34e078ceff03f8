/** `--name value` options of a bench script's command line: each one taken out of `args`, what is left are the positional arguments. */
export function takeOption(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = args[i + 1]!;
  args.splice(i, 2);
  return v;
}
