/**
 * The gallery page: the images are plain <img src> tags on API URLs; this fills in, under each, the probability
 * the model gives the class for that image, read from the X-Ascent-Probability and X-Ascent-Predicted headers of
 * the same URL (an immutable response: the image and this request share one computation and the HTTP cache),
 * and shows an image's animation (its data-gif URL) while it is pointed at or focused, or while "Animate all" is on.
 */
import { ApiError, asProblem, problemOf } from './api.ts';
import { fmtP } from './format.ts';
import { byId } from './ui.ts';

/** Runs `work` on every item with at most `limit` at a time. */
export async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Swaps images between their still (data-still) and animated (data-gif) URLs. */
function bindAnimations(): void {
  const toggle = document.querySelector<HTMLInputElement>('#animate-all');
  const images = [...document.querySelectorAll<HTMLImageElement>('img[data-gif]')];
  const show = (img: HTMLImageElement, animated: boolean) => {
    const url = animated ? img.dataset.gif! : img.dataset.still!;
    if (img.getAttribute('src') !== url) img.src = url;
  };
  for (const img of images) {
    const link = img.closest('a') ?? img;
    const on = () => show(img, true);
    const off = () => show(img, toggle?.checked ?? false);
    link.addEventListener('mouseenter', on);
    link.addEventListener('focus', on);
    link.addEventListener('mouseleave', off);
    link.addEventListener('blur', off);
  }
  toggle?.addEventListener('change', () => {
    for (const img of images) show(img, toggle.checked);
  });
}

export function initGallery(): void {
  bindAnimations();
  const status = byId('gallery-status');
  const images = [...document.querySelectorAll<HTMLImageElement>('img[data-labels]')];
  let done = 0;
  let failed = 0;
  status.textContent = `Computing the probabilities of ${images.length} images…`;
  void eachLimited(images, 2, async (img) => {
    const url = img.dataset.still ?? img.getAttribute('src')!;
    const caption = document.querySelector<HTMLElement>(`[data-p-for="${CSS.escape(url)}"]`);
    try {
      const res = await fetch(url);
      if (!res.ok) throw new ApiError(await problemOf(res));
      await res.arrayBuffer();
      const probability = Number(res.headers.get('X-Ascent-Probability'));
      const labels = JSON.parse(img.dataset.labels ?? '[]') as string[];
      const predicted = labels[Number(res.headers.get('X-Ascent-Predicted'))] ?? '?';
      const label = img.dataset.label ?? '?';
      if (caption) {
        caption.textContent = `p = ${fmtP(probability)}`;
        caption.title = `p(${label}) = ${String(probability)}; the model says ${predicted}`;
        if (predicted !== label) {
          caption.textContent += ` (says ${predicted})`;
          caption.classList.add('is-miss');
        }
      }
      img.alt = `${img.alt}; p = ${fmtP(probability)}`;
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
