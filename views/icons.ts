// The few icons the page shows, as inline SVG: path data from Bitrix24's own icon set,
// @bitrix24/b24icons-vue 2.0.8 (MIT, Copyright (c) 2024 Bitrix24), dist/outline: ImageIcon,
// UploadIcon, MinusMIcon, PlusMIcon. Inline, so no request, no font, and currentColor follows
// the control's text colour.

import { html, type SafeHtml } from './html';

type IconName = 'image' | 'upload' | 'minus' | 'plus';

const PATHS: Record<IconName, string[]> = {
  image: [
    'M7.557 9.66a2.104 2.104 0 1 1 4.208 0 2.104 2.104 0 0 1-4.208 0m2.104-.703a.704.704 0 1 0 0 1.407.704.704 0 0 0 0-1.407',
    'M4.75 7.949a3.2 3.2 0 0 1 3.2-3.2h8.102a3.2 3.2 0 0 1 3.2 3.2v8.102a3.2 3.2 0 0 1-3.2 3.2H7.95a3.2 3.2 0 0 1-3.2-3.2zm3.2-1.8a1.8 1.8 0 0 0-1.8 1.8v8.102a1.8 1.8 0 0 0 .95 1.588l.03-.035 5.575-5.934a2.2 2.2 0 0 1 3.098-.108l2.049 1.896V7.949a1.8 1.8 0 0 0-1.8-1.8zm9.902 9.216-3-2.776a.8.8 0 0 0-1.126.04L8.819 17.85h7.233a1.8 1.8 0 0 0 1.8-1.8z',
  ],
  upload: [
    'M12 9.8c.19 0 .37.08.5.21l2.01 2.01a.706.706 0 0 1-.5 1.2c-.18 0-.36-.07-.5-.21l-.8-.81v3.81c0 .39-.31.7-.7.7s-.7-.31-.7-.7V12.2l-.81.8c-.27.27-.72.27-.99 0a.706.706 0 0 1 0-.99l2-2c.13-.14.3-.21.49-.21',
    'M14.67 6.97c2.29 0 4.18 1.77 4.39 4.02h.01c1.6.67 2.66 2.23 2.64 3.95.05 2.28-1.84 4.2-4.21 4.26H7.67c-2.95 0-5.36-2.42-5.36-5.39-.03-2.06 1.21-3.98 3.11-4.88.2-2.31 2.14-4.13 4.49-4.13 1.66.02 3.13.88 3.91 2.25.28-.05.56-.08.85-.08m2.79 10.83c1.59-.04 2.86-1.32 2.83-2.85.01-1.28-.86-2.41-2.12-2.78a.7.7 0 0 1-.5-.67v-.07c0-1.69-1.35-3.05-3.01-3.05-.34 0-.68.06-1 .17a.7.7 0 0 1-.89-.4c-.44-1.15-1.6-1.93-2.88-1.94-1.7 0-3.1 1.4-3.1 3.13 0 .29-.18.62-.45.72-1.6.6-2.66 2.11-2.64 3.75 0 2.2 1.77 3.99 3.96 3.99z',
  ],
  minus: ['M5.35 12a.65.65 0 0 1 .65-.65h12a.65.65 0 1 1 0 1.3H6a.65.65 0 0 1-.65-.65'],
  plus: [
    'M11.35 17a.65.65 0 1 0 1.3 0v-4.35H17a.65.65 0 1 0 0-1.3h-4.35V7a.65.65 0 1 0-1.3 0v4.35H7a.65.65 0 1 0 0 1.3h4.35z',
  ],
};

/** An icon for decoration only: hidden from screen readers, the control carries the words. */
export function icon(name: IconName, size = 20): SafeHtml {
  const paths = PATHS[name].map(
    (d) => html`<path fill="currentColor" fill-rule="evenodd" clip-rule="evenodd" d="${d}"/>`,
  );
  return html`<svg class="icon" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="${size}" height="${size}" aria-hidden="true" focusable="false">${paths}</svg>`;
}
