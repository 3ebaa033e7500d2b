import { cutText } from '../foreign-text';
import type { Portal } from '../store/store';

// How a chat looks, as the page shows it: its title, its avatar's link and its colour, read from
// whichever answer names them (im.recent.list, im.search.chat.list, im.dialog.get) by one rule.

/** A chat's title, link and colour, as the page may show them. */
export interface ChatLook {
  title: string;
  avatarUrl: string | null;
  color: string | null;
}

/**
 * The documentation sets no length for a chat's title (im-recent-list.md, im-dialog-get.md), so
 * a portal can answer megabytes in one. The page shows a title on one line: 255 characters are
 * more than it can show, and a longer one is cut (with `…`) before it is cached or sent.
 */
export const MAX_TITLE_LENGTH = 255;
/** An avatar link longer than any URL a browser is sure to load is no link: the chat shows its colour. */
const MAX_LINK_LENGTH = 2048;
/** `color` is a hex colour (im-recent-list.md: `#df532d`) or a colour's name. */
const MAX_COLOR_LENGTH = 32;

export const titleOf = (raw: unknown): string => cutText(String(raw ?? ''), MAX_TITLE_LENGTH);
export const colorOf = (raw: unknown): string | null =>
  typeof raw === 'string' && raw !== '' ? cutText(raw, MAX_COLOR_LENGTH) : null;

/** An avatar link as the page may load it: absolute on the portal, http(s) only; null otherwise. */
export function avatarUrlOf(portal: Pick<Portal, 'clientEndpoint'>, url: unknown): string | null {
  if (!url || typeof url !== 'string' || url.length > MAX_LINK_LENGTH) return null;
  try {
    const resolved = new URL(url, portal.clientEndpoint);
    return resolved.protocol === 'https:' || resolved.protocol === 'http:' ? resolved.toString() : null;
  } catch {
    return null;
  }
}
