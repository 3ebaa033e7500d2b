// The types of the page the scripts run in. Type-checking only (public/tsconfig.json): the
// server serves public/'s .js and .css files, never this one. Scripts name these types with
// JSDoc, `@import { AppData } from './page'` (no `.js`: static-assets.ts would take a `.js`
// name for a module to serve).
import type { AppPageData } from '../views/page-data';

/** The JSON in <script id="app-data">, as views/app-page.ts writes it. */
export type AppData = AppPageData;
/** The page's words (the keys of lang/en.json's "page" section). */
export type UiStrings = AppPageData['strings'];

/**
 * Every element the scripts take by id (byId in dom.js), with the element it is. The one list
 * of them: test/views/page-ids.test.ts fails when a template (views/) does not render one of
 * these ids on the page its script runs on, or renders it on another kind of element.
 */
export interface PageElements {
  // Every app page (views/app-page.ts)
  app: HTMLElement;
  'app-data': HTMLScriptElement;
  b24jssdk: HTMLScriptElement;
  message: HTMLDivElement;
  'panel-change': HTMLElement;
  'chats-card': HTMLDivElement;
  'chat-chosen': HTMLDivElement;
  'chat-chosen-avatar': HTMLSpanElement;
  'chat-chosen-title': HTMLParagraphElement;
  'chat-verdict': HTMLParagraphElement;
  'chat-change': HTMLButtonElement;
  'chat-history': HTMLDetailsElement;
  'image-step': HTMLDivElement;
  'chat-pick': HTMLDivElement;
  'chat-search': HTMLInputElement;
  'chat-list': HTMLUListElement;
  'chat-list-status': HTMLParagraphElement;
  'chat-more': HTMLButtonElement;
  'chat-id': HTMLInputElement;
  'chat-id-use': HTMLButtonElement;
  'drop-zone': HTMLDivElement;
  'file-input': HTMLInputElement;
  'camera-input': HTMLInputElement;
  'file-name': HTMLParagraphElement;
  'file-notes': HTMLUListElement;
  'file-hint': HTMLParagraphElement;
  'crop-section': HTMLDivElement;
  'crop-area': HTMLDivElement;
  'crop-canvas': HTMLCanvasElement;
  'crop-box': HTMLDivElement;
  zoom: HTMLInputElement;
  rotate: HTMLButtonElement;
  flip: HTMLButtonElement;
  'zoom-in': HTMLButtonElement;
  'zoom-out': HTMLButtonElement;
  previews: HTMLDivElement;
  'no-preview': HTMLParagraphElement;
  'selected-chat': HTMLParagraphElement;
  progress: HTMLProgressElement;
  apply: HTMLButtonElement;
  'apply-hint': HTMLSpanElement;
  'chat-access': HTMLParagraphElement;
  // Make one, the single change's drawn picture (views/make-one.ts)
  'make-one-toggle': HTMLButtonElement;
  'make-one': HTMLDivElement;
  'make-emoji-row': HTMLDivElement;
  'make-emoji': HTMLInputElement;
  'make-logo-row': HTMLDivElement;
  'make-logo': HTMLInputElement;
  'make-status': HTMLParagraphElement;
  // Many chats at once (views/bulk-section.ts)
  bulk: HTMLElement;
  'bulk-search': HTMLInputElement;
  'bulk-type': HTMLSelectElement;
  'bulk-select-all': HTMLButtonElement;
  'bulk-clear': HTMLButtonElement;
  'bulk-count': HTMLSpanElement;
  'bulk-list': HTMLUListElement;
  'bulk-list-status': HTMLParagraphElement;
  'bulk-more': HTMLButtonElement;
  'bulk-emoji-row': HTMLDivElement;
  'bulk-emoji': HTMLInputElement;
  'bulk-logo-row': HTMLDivElement;
  'bulk-logo': HTMLInputElement;
  'bulk-preview': HTMLCanvasElement;
  'bulk-preview-caption': HTMLElement;
  'bulk-check': HTMLButtonElement;
  'bulk-apply': HTMLButtonElement;
  'bulk-summary': HTMLParagraphElement;
  'bulk-run': HTMLDivElement;
  'bulk-progress': HTMLProgressElement;
  'bulk-status': HTMLParagraphElement;
  'bulk-pause': HTMLButtonElement;
  'bulk-resume': HTMLButtonElement;
  'bulk-cancel': HTMLButtonElement;
  'bulk-results': HTMLUListElement;
  // The administrators' panels (adminPanels in views/app-page.ts)
  'panel-settings': HTMLElement;
  'panel-status': HTMLElement;
  'panel-audit': HTMLElement;
  'settings-form': HTMLFormElement;
  'setting-outputSide': HTMLInputElement;
  'setting-outputFormat': HTMLSelectElement;
  'setting-jpegQuality': HTMLInputElement;
  'setting-maxUploadBytes': HTMLInputElement;
  'setting-access.mode': HTMLSelectElement;
  'setting-access.userIds': HTMLInputElement;
  'setting-brandColour': HTMLInputElement;
  'brand-colour-swatch': HTMLInputElement;
  'error-outputSide': HTMLSpanElement;
  'error-outputFormat': HTMLSpanElement;
  'error-jpegQuality': HTMLSpanElement;
  'error-maxUploadBytes': HTMLSpanElement;
  'error-access.mode': HTMLSpanElement;
  'error-access.userIds': HTMLSpanElement;
  'error-brandColour': HTMLSpanElement;
  'access-users': HTMLUListElement;
  'user-results': HTMLUListElement;
  'settings-save': HTMLButtonElement;
  'status-summary': HTMLParagraphElement;
  'status-content': HTMLDListElement;
  'status-details-content': HTMLDListElement;
  'status-actions': HTMLDivElement;
  'repair-bot': HTMLButtonElement;
  rebind: HTMLButtonElement;
  'audit-filter': HTMLSelectElement;
  'audit-export': HTMLButtonElement;
  'audit-table': HTMLTableElement;
  'audit-prev': HTMLButtonElement;
  'audit-page': HTMLSpanElement;
  'audit-next': HTMLButtonElement;
  // The install page (views/install-page.ts)
  'install-result': HTMLParagraphElement;
}

export type PageId = keyof PageElements;

/** The settings form's fields: `setting-<name>` is the control, `error-<name>` its sentence. */
export type SettingName =
  'outputSide' | 'outputFormat' | 'jpegQuality' | 'maxUploadBytes' | 'brandColour' | 'access.mode' | 'access.userIds';

/** What `say` in message.js shows, and how (its class). */
export type MessageKind = 'info' | 'error' | 'ok' | 'progress';
/**
 * Shows one message at a time beside the control that caused it (message.js): in `slot`, the
 * panel's message slot (the active panel's when not given), with a button for `action`.
 */
export type Say = (
  text: string,
  kind?: MessageKind,
  slot?: string,
  action?: { label: string; run: () => void } | null,
) => void;

/** A chat as GET /api/chats lists it (server/chats/list-chats.ts, ChatSummary). */
export interface Chat {
  id: number;
  title: string;
  avatarUrl: string | null;
  color: string | null;
}

/** A note shown under the chosen file (image-facts.js, image-choice.js). */
export interface FileNote {
  kind: 'warn' | 'info';
  text: string;
}

/** How the user turned the picture (orientation.js): quarter turns clockwise after a mirror left to right. */
export interface Orientation {
  turns: 0 | 1 | 2 | 3;
  flip: boolean;
}

/** A rectangle of the turned picture (orientation.js). */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A square in source pixels of the upright image (cropper.js), as the server takes it. */
export interface Crop {
  x: number;
  y: number;
  size: number;
}

/** A portal's settings, as GET and PUT /api/admin/settings answer them (PortalSettings in server/store/store.ts). */
export interface Settings {
  outputSide: number;
  outputFormat: 'auto' | 'png' | 'jpeg';
  jpegQuality: number;
  maxUploadBytes: number;
  access: { mode: 'everyone' | 'admins' | 'users'; userIds: number[] };
  /** The company's colour, `#rrggbb`; null or absent when none is set. */
  brandColour?: string | null;
}

/** A portal user as GET /api/admin/users answers (server/access/user-directory.ts). */
export interface PortalUser {
  id: number;
  name: string;
  position: string;
}

/** GET /api/admin/status and the repair buttons' answer (server/http/routes/admin.ts). */
export interface PortalStatus {
  portal: {
    domain: string;
    scope: string;
    state: 'installed' | 'uninstalled';
    installedAt: string;
    lastRefreshAt: string | null;
    lastRefreshOk: boolean | null;
  };
  bot: { id: number | null; name: string; registered: boolean };
  events: { event: string; handler: string }[];
  placements: { placement: string; handler: string }[];
  /** Bitrix24 could not be asked: bot, events and placements are not known; `why` is the app's code. */
  unavailable?: { why: string };
  /** What is wrong and what the administrator can do, in one sentence; the repairs that can help. */
  summary: {
    state: 'healthy' | 'uninstalled' | 'access_lost' | 'unreachable' | 'no_method' | 'scopes_missing' | 'setup_missing';
    sentence: string;
    repairs: ('bot' | 'bindings')[];
  };
  /** The tab's lines in the reader's words; `{time}` in `value` stands for `at`, in the reader's clock. */
  rows: { term: string; value: string; bad: boolean; at?: string }[];
  /** The codes and addresses support asks for, shown folded. */
  details: { term: string; value: string; at?: string }[];
  /** What a repair sets up, in words, and whether Bitrix24 has it now. */
  parts: { step: 'bot' | 'events' | 'placements'; name: string; ok: boolean }[];
  /** Steps Bitrix24 refused at install or at the last repair. */
  problems?: { step: string; code: string; argument: string | null; description: string }[];
  /** What the app learnt of the portal's Bitrix24 (server/http/presenters/capabilities.ts). */
  capabilities: {
    learntAt: string | null;
    changeMethod: 'imbot.v2.Chat.update' | 'imbot.chat.updateAvatar';
    scopes: { granted: string[] | null; missing: string[] };
    dialogFields: 'present' | 'absent' | 'unknown';
    /** In the reader's language; `{time}` in `value` stands for `at`, shown in the reader's clock. */
    rows: { term: string; value: string; bad: boolean; at?: string }[];
    /** Short phrases for the summary line; empty when nothing needs attention. */
    issues: string[];
  };
}

/** A chat as Bitrix24 shows it (server/chats/chat-look.ts). */
export interface ChatLook {
  title: string;
  avatarUrl: string | null;
  color: string | null;
}

/** GET /api/chats/:chatId/access (server/http/presenters/chat-access.ts): the chat and who makes a change. */
export interface ChatAccessView {
  chat: ChatLook;
  /** `blocked`: the bot cannot join, so the user may make the change themselves. */
  bot: 'ready' | 'joins' | 'blocked';
  owner: string | null;
  /** On `blocked`: who can add the bot, in the user's language. */
  botMessage: string | null;
}

/** What the page says of the chosen chat before it asks for a file (chat-access.js). */
export type ChatVerdict =
  | { state: 'checking' }
  | { state: 'may'; look: ChatLook; bot: ChatAccessView['bot']; botMessage: string | null }
  | { state: 'refused'; look: ChatLook | null; message: string; code: string }
  | { state: 'unknown' };

/** GET /api/portal/queue (server/http/routes/portal.ts): the portal's queue of calls to Bitrix24. */
export interface PortalQueue {
  /** Whole seconds until a call made now would go; 0 while the burst lasts. */
  waitSeconds: number;
  /** The pace the queue moves at (limits.md: 2 a second, 5 on Enterprise plans). */
  requestsPerSecond: number;
}

/** A page of GET /api/admin/audit (server/http/presenters/audit.ts). */
export interface AuditPage {
  entries: {
    at: string;
    userId: number;
    userName: string | null;
    chatId: number;
    /** The chat's title as Bitrix24 gave it to the reader; null when it gave none. */
    chatTitle: string | null;
    /** The title, or words for a chat the app cannot see. */
    chatName: string;
    result: 'ok' | 'error';
    /** "Changed" or "Not changed", in the reader's language. */
    outcome: string;
    /** What stopped the change, said to the administrator; null for a success. */
    reason: string | null;
    errorCode: string | null;
    /** The sentence the user was shown. */
    errorMessage: string | null;
    bytes: number | null;
    durationMs: number;
    /** Short words for what else happened (`bot_joined`, `earlier_try:<code>`, the upload path). */
    notes: string[];
    /** The notes an administrator is told about, in sentences. */
    noteWords: string[];
    /** The picture a change replaced and the one it set, as data: URLs; null when none was kept. */
    thumbnails: { before: string | null; after: string | null } | null;
    /** The change of many chats it belongs to (one of `jobs`), or null. */
    jobId: string | null;
  }[];
  /** The changes of many chats the page's entries belong to, each shown as one row over them. */
  jobs: {
    id: string;
    kind: 'picture' | 'per_chat' | 'undo' | 'unknown';
    /** What it was, in the reader's language ("Apply to many chats: one picture for all", Undo all, …). */
    what: string;
    userId: number;
    userName: string | null;
    /** Its first and last entries' times. */
    from: string;
    to: string;
    changed: number;
    refused: number;
    /** "N changed, M not changed", in the reader's language, over all its entries. */
    counts: string;
  }[];
  page: number;
  pageSize: number;
  total: number;
}

/** GET /api/chats/:chatId/history (server/http/presenters/history.ts). */
export type { HistoryEntryView, HistoryPictureView, HistoryView } from '../server/http/presenters/history-view';

/** The answer to a change (Apply, Undo, Restore): what was set, and until when it can be undone. */
export interface ChangeAnswer {
  ok: true;
  chatId: number;
  width: number;
  height: number;
  format: string;
  bytes: number;
  /** Absent when the server keeps no history (AVATAR_HISTORY=false). */
  history?: { undoUntil: string; before: 'kept' | 'no_picture' | 'not_kept'; reason?: string };
}

/** An /api call that failed (api.js): the server's sentence, with its code and what came with it. */
export interface ApiError extends Error {
  /** The server's error code, `HTTP_<status>`, or 'NETWORK' when no answer came. */
  code: string;
  status?: number;
  /** Per-field sentences of a refused settings form. */
  fields?: Record<string, string> | null;
  /** Retry-After in seconds, when the answer had one. */
  retryAfter?: number | null;
}

/** b24jssdk's frame client (initializeB24Frame), inside the portal. */
export type B24Frame = import('@bitrix24/b24jssdk').B24Frame;

/** The api.js client the other modules are given. */
export type Api = ReturnType<typeof import('./api').createApi>;

/** The cropper.js crop box the image choice loads and Apply reads. */
export type Cropper = ReturnType<typeof import('./cropper').createCropper>;
