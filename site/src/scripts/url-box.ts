/** The playground's URL box: the image URL of the result shown, and buttons that copy it as a URL, an <img> tag or Markdown. */
import { copyText } from './ui.ts';

export interface UrlBox {
  /** shows the URL `shown` (default `src`, relative to the page) with the alt text the copies carry; links `src` in each format */
  show(src: string, alt: string, shown?: string): void;
  /** shows another URL of the same result (its animation) */
  shown(url: string): void;
}

export function urlBox(input: HTMLInputElement, formatLinks: Record<string, HTMLAnchorElement>, copyStatus: HTMLElement, buttons: Iterable<HTMLButtonElement>): UrlBox {
  let alt = '';
  for (const b of buttons) {
    b.addEventListener('click', async () => {
      const url = input.value;
      if (!url) return;
      const text = {
        url,
        img: `<img src="${url.replace(/&/g, '&amp;')}" alt="${alt.replace(/"/g, '&quot;')}">`,
        md: `![${alt.replace(/[[\]]/g, '')}](${url})`,
      }[b.dataset.copy ?? 'url'] ?? url;
      const ok = await copyText(text);
      copyStatus.textContent = ok ? `Copied: ${text}` : 'The browser refused to copy; select the URL above and copy it by hand.';
    });
  }
  return {
    show(src, text, shown = src) {
      alt = text;
      input.value = new URL(shown, location.href).href;
      for (const [format, link] of Object.entries(formatLinks)) link.href = `${src}&format=${format}`;
    },
    shown(url) {
      input.value = new URL(url, location.href).href;
    },
  };
}
