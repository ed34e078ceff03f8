/**
 * The gallery page: the images are plain <img src> tags on API URLs; this fills in, under each, the probability
 * the model gives the class for that image, read from the URL's format=json twin.
 */
import { asProblem, getJson } from './api.ts';
import { fmtP } from './format.ts';
import type { MaximizeResult } from './types.ts';
import { byId } from './ui.ts';

/** Runs `work` on every item with at most `limit` at a time. */
export async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function initGallery(): void {
  const status = byId('gallery-status');
  const images = [...document.querySelectorAll<HTMLImageElement>('img[data-json]')];
  let done = 0;
  let failed = 0;
  status.textContent = `Computing the probabilities of ${images.length} images…`;
  void eachLimited(images, 2, async (img) => {
    const url = img.dataset.json!;
    const caption = document.querySelector<HTMLElement>(`[data-p-for="${CSS.escape(url)}"]`);
    try {
      const r = await getJson<MaximizeResult>(url);
      if (caption) {
        caption.textContent = `p = ${fmtP(r.probability)}`;
        caption.title = `p(${r.label ?? '?'}) = ${String(r.probability)}; the model says ${r.predicted.label}`;
        if (r.predicted.label !== r.label) {
          caption.textContent += ` (says ${r.predicted.label})`;
          caption.classList.add('is-miss');
        }
      }
      img.alt = `${img.alt}; p = ${fmtP(r.probability)}`;
    } catch (e) {
      failed++;
      if (caption) caption.textContent = `no probability: ${asProblem(e).detail}`;
    } finally {
      done++;
      status.textContent = done < images.length
        ? `Computing the probabilities: ${done} of ${images.length}…`
        : failed ? `${failed} of ${images.length} probabilities could not be computed.` : '';
    }
  });
}
