import { html, type SafeHtml } from './html';
import type { uiStrings } from './i18n';

// The colours the page offers for a picture it draws (the many chats' section and Make one): the
// administrator's brand colour first when one is set, then the chat colours Bitrix24 names.

/**
 * The chat colours Bitrix24 names to apps (chat-bots-v2/imbot.v2/chats/chat-update.md,
 * "Available Colors"; im v2, the current cloud generation), in its order.
 */
export const CHAT_COLOURS = [
  ['red', '#df532d'],
  ['green', '#64a513'],
  ['mint', '#4ba984'],
  ['lightBlue', '#4ba5c3'],
  ['darkBlue', '#3e99ce'],
  ['purple', '#8474c8'],
  ['aqua', '#1eb4aa'],
  ['pink', '#f76187'],
  ['lime', '#58cc47'],
  ['brown', '#ab7761'],
  ['azure', '#29619b'],
  ['khaki', '#728f7a'],
  ['sand', '#ba9c7b'],
  ['marengo', '#556574'],
  ['gray', '#909090'],
  ['graphite', '#5e5f5e'],
] as const;

/** The page's word for a colour: bulkColourRed, bulkColourLightBlue, … */
const colourKey = (code: (typeof CHAT_COLOURS)[number][0]) =>
  `bulkColour${code[0]!.toUpperCase()}${code.slice(1)}` as `bulkColour${Capitalize<typeof code>}`;

/**
 * One radio button a colour, named `name`, the first one chosen: the brand colour when the portal
 * has one, on a line of its own with its name shown (the company's colour), else Bitrix24's first.
 * The brand colour's line is there, hidden, when none is set, so that an administrator who sets
 * one sees it offered at once (swatches.js showBrandColour). A swatch's colour is set from
 * data-colour by the script: the page's policy allows no inline style.
 */
export function colourSwatches(t: ReturnType<typeof uiStrings>, name: string, brandColour: string | null): SafeHtml[] {
  const radio = (hex: string, checked: boolean) =>
    html`<input type="radio" name="${name}" value="${hex}"${checked ? html` checked` : ''}>`;
  const brand = html`<label class="swatch-named"${brandColour ? '' : html` hidden`}><span class="swatch swatch-brand" title="${t.colourBrand}" data-colour="${brandColour ?? ''}">${radio(brandColour ?? '', Boolean(brandColour))}</span><span class="swatch-name">${t.colourBrand}</span></label>`;
  const named = CHAT_COLOURS.map(
    ([code, hex], index) =>
      html`<label class="swatch" title="${t[colourKey(code)]}" data-colour="${hex}">${radio(hex, !brandColour && index === 0)}<span class="visually-hidden">${t[colourKey(code)]}</span></label>`,
  );
  return [brand, ...named];
}
