/**
 * Which steps of an ascent an animation shows: `frames` distinct steps from 0 (the start) to `steps` (the result).
 *   linear: t_i = round(i * steps / (n - 1))
 *   log:    t_i + 1 = (steps + 1)^(i / (n - 1)), i.e. evenly spaced in log(t + 1), so the fast early change gets
 *           most frames; rounded, then pushed apart so every frame is a different step.
 */

export const FRAME_SPACINGS = ['log', 'linear'] as const;
export type FrameSpacing = (typeof FRAME_SPACINGS)[number];

export function frameSteps(steps: number, frames: number, spacing: FrameSpacing): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer (got ${steps})`);
  if (!Number.isInteger(frames) || frames < 2 || frames > steps + 1) throw new Error(`frames must be 2..${steps + 1} for ${steps} steps (got ${frames})`);
  const n = frames;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const ideal = spacing === 'linear' ? (i * steps) / (n - 1) : (steps + 1) ** (i / (n - 1)) - 1;
    // at least one step after the previous frame, and room left for the frames still to come
    const lowest = i === 0 ? 0 : out[i - 1]! + 1;
    const highest = steps - (n - 1 - i);
    out.push(Math.min(highest, Math.max(lowest, Math.round(ideal))));
  }
  return out;
}
