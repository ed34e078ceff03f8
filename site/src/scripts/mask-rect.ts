/**
 * The playground's mask rectangle: a checkbox and four pixel fields for mask=left,top,right,bottom (right and
 * bottom exclusive), and the dashed outline of the rectangle over the result image.
 */

const RECT = /^(\d+),(\d+),(\d+),(\d+)$/;

export interface MaskRect {
  /** the checkbox: the only control of the parameter (for the problem display's link) */
  toggle: HTMLInputElement;
  fields: HTMLInputElement[];
  /** sets the controls from a mask value; false when the value is not a rectangle (it is then sent as given) */
  apply(value: string | undefined): boolean;
  /** the mask value the controls hold, when the box is ticked */
  value(): string | undefined;
  /** enables the fields with the box, bounded by the image size */
  update(size: { height: number; width: number } | undefined): void;
  /** outlines the rectangle of `value` over an image of `size` (hidden without one) */
  outline(value: string | undefined, size: { height: number; width: number }): void;
}

export function maskRect(toggle: HTMLInputElement, fields: HTMLInputElement[], overlay: HTMLElement): MaskRect {
  return {
    toggle,
    fields,
    apply(value) {
      const rect = value !== undefined ? RECT.exec(value) : null;
      toggle.checked = rect !== null;
      fields.forEach((input, i) => { input.value = rect ? rect[i + 1]! : input.defaultValue; });
      return rect !== null;
    },
    value: () => (toggle.checked ? fields.map((i) => i.value.trim()).join(',') : undefined),
    update(size) {
      for (const input of fields) {
        input.disabled = !toggle.checked;
        if (size) input.max = String(input.id.endsWith('left') || input.id.endsWith('right') ? size.width : size.height);
      }
    },
    outline(value, { height: h, width: w }) {
      const m = value ? RECT.exec(value) : null;
      overlay.hidden = !m;
      if (!m || !w || !h) return;
      const [l, t, r, b] = m.slice(1).map(Number) as [number, number, number, number];
      Object.assign(overlay.style, { left: `${(l / w) * 100}%`, top: `${(t / h) * 100}%`, width: `${((r - l) / w) * 100}%`, height: `${((b - t) / h) * 100}%` });
    },
  };
}
