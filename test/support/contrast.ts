import type { FrameLocator } from 'playwright-core';

/**
 * Every visible text on the app's page whose colour is below WCAG AA against the background
 * it sits on (4.5:1, or 3:1 for large text), as "text: ratio". The background is the first
 * ancestor's that is mostly opaque.
 */
export function lowContrastTexts(app: FrameLocator): Promise<string[]> {
  return app.locator('body').evaluate(() => {
    // rgb(…) in 0–255, or color(srgb …) in 0–1 (what color-mix() computes to).
    const rgb = (value: string) => {
      const numbers = (value.match(/[\d.]+/g) ?? []).map(Number);
      return value.startsWith('color(') ? numbers.map((n, i) => (i < 3 ? n * 255 : n)) : numbers;
    };
    const lum = ([r, g, b]: number[]) => {
      const f = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const background = (node: Element | null): number[] => {
      for (let el = node; el; el = el.parentElement) {
        const c = rgb(getComputedStyle(el).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3]! > 0.5)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      const el = text.parentElement!;
      if (!text.textContent!.trim() || !el.checkVisibility() || el.closest('.visually-hidden, script, option'))
        continue;
      const style = getComputedStyle(el);
      const fg = rgb(style.color).slice(0, 3);
      const a = lum(fg);
      const b = lum(background(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const large =
        parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`${text.textContent!.trim().slice(0, 30)}: ${ratio.toFixed(2)}`);
    }
    return out;
  });
}
