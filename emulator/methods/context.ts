import type { Chat, PortalState, User } from '../state';

export interface MethodContext {
  portal: PortalState;
  user: User;
  /** The calling application: the OAuth token's client id (docs/bitrix24-behaviours.md). */
  clientId: string;
  params: Record<string, unknown>;
  /** http://host:port of the portal, for URLs in answers. */
  baseUrl: string;
  /** A chat's avatar link as im.dialog.get answers it ('' when it has none): avatar-cdn.ts. */
  avatarLink: (chat: Chat) => string;
  /**
   * A bot was added to a chat: the portal posts ONIMBOTJOINCHAT to its handler once the method
   * has answered (bot-events.ts). `hideHistory`: im.chat.user.add's HIDE_HISTORY=Y.
   */
  botJoined: (join: { botId: number; chat: Chat; userId: number; hideHistory: boolean }) => void;
}

/** A list method's answer: the page plus `next` and `total` at the top level of the JSON. */
export interface ListAnswer {
  result: unknown;
  next?: number;
  total?: number;
}

export type Method = (ctx: MethodContext) => unknown;

/** Methods of one family and the scope they need (api-reference/scopes/permissions.md). */
export interface MethodFamily {
  /** `basic` methods need no scope. */
  scope: string | string[];
  methods: Record<string, Method>;
}

export const isListAnswer = (value: unknown): value is ListAnswer =>
  typeof value === 'object' &&
  value !== null &&
  'result' in value &&
  Object.keys(value).every((k) => k === 'result' || k === 'next' || k === 'total');

export const text = (value: unknown): string =>
  typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
export const int = (value: unknown): number => {
  const n = typeof value === 'number' ? value : Number(text(value));
  return Number.isInteger(n) ? n : 0;
};
export const yes = (value: unknown): boolean =>
  value === true || value === 'Y' || value === 'y' || value === '1' || value === 1 || value === 'true';

/** Parameter names are case-insensitive in Bitrix24 REST (array_change_key_case). */
export function param(params: Record<string, unknown>, name: string): unknown {
  if (name in params) return params[name];
  const lower = name.toLowerCase();
  const key = Object.keys(params).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : params[key];
}

/** A list of ids given as `USERS[]=1&USERS[]=2`, `USERS[0]=1`, or a JSON array; null when not a list. */
export function idList(value: unknown): number[] | null {
  if (Array.isArray(value)) return value.map(int);
  if (typeof value === 'object' && value !== null) return Object.values(value).map(int);
  return null;
}
