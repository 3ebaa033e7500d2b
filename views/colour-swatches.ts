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
 * One radio button a colour, named `name`, the first one chosen: the brand colour (marked as the
 * company's) when the portal has one, else Bitrix24's first. A swatch's colour is set from
 * data-colour by the script (swatches.js): the page's policy allows no inline style.
 */
export function colourSwatches(t: ReturnType<typeof uiStrings>, name: string, brandColour: string | null): SafeHtml[] {
  const colours: { hex: string; label: string; brand: boolean }[] = [
    ...(brandColour ? [{ hex: brandColour, label: t.colourBrand, brand: true }] : []),
    ...CHAT_COLOURS.map(([code, hex]) => ({ hex, label: t[colourKey(code)], brand: false })),
  ];
  return colours.map(
    ({ hex, label, brand }, index) =>
      html`<label class="swatch${brand ? ' swatch-brand' : ''}" title="${label}" data-colour="${hex}"><input type="radio" name="${name}" value="${hex}"${index === 0 ? html` checked` : ''}><span class="visually-hidden">${label}</span></label>`,
  );
}
