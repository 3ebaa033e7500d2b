// The JSON the app page hands to its script, in <script type="application/json" id="app-data">.
// views/app-page.ts writes it and public/ reads it by this one type (public/page.d.ts), so a
// field renamed on either side fails `npm run typecheck`. Type imports only: public/'s
// type-check reads this file too, and has no Node.js.
import type en from '../lang/en.json';

/** The limits the page checks before an upload (the server checks them again). */
export interface AppPageLimits {
  maxUploadBytes: number;
  outputSide: number;
  /** When the server hands it over, the page refuses a huge image before the upload. */
  maxInputPixels?: number;
}

export interface AppPageData {
  /** Bitrix24's code of the page's language (UiLang), sent back when the session is renewed. */
  lang: string;
  /** The same language as a BCP 47 tag, for Intl. */
  locale: string;
  /** The page's words in that language (the "page" section of lang/<lang>.json, which has English's keys). */
  strings: (typeof en)['page'];
  user: { id: number; name: string; isAdmin: boolean };
  portal: { domain: string; memberId: string };
  /** Set when opened from a chat's sidebar (IM_SIDEBAR). */
  initialChatId: number | null;
  /** Inside the portal's iframe (POST /) or a first-party page (GET /app). */
  inFrame: boolean;
  limits: AppPageLimits;
  /** When the app token in <meta name="app-token"> expires, in ms since the epoch. */
  appTokenExpiresAt: number;
}
