import { randomBytes } from 'node:crypto';

// Everything the emulated Bitrix24 knows: one OAuth server (tokens for every portal) and the
// portals, each with users, chats, bots, bound events and placements.

export interface User {
  id: number;
  name: string;
  lastName: string;
  admin: boolean;
  email: string;
}

export type ChatType = 'chat' | 'open' | 'general' | 'private';

export interface ChatAvatar {
  data: Buffer;
  format: string;
  width: number;
  height: number;
  version: number;
}

export interface Chat {
  id: number;
  title: string;
  type: ChatType;
  ownerId: number;
  members: number[];
  color: string;
  avatar: ChatAvatar | null;
  /** Order of the recent list (im.recent.list): most recent first. */
  lastActivity: number;
  /** When 'owner', only the owner may change the avatar (the chat's "manage settings" right). */
  manageSettings: 'all' | 'owner';
}

export interface Bot {
  id: number;
  code: string;
  name: string;
  type: string;
  /** The application that registered the bot: `client_id`, or `custom{CLIENT_ID}` for a webhook. */
  appId: string;
  eventHandler: string;
}

export interface Binding {
  name: string;
  handler: string;
  appId: string;
  title?: string;
}

export interface Fault {
  method: string;
  error?: string;
  description?: string;
  status?: number;
  latencyMs?: number;
  times: number;
}

export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  userId: number;
  clientId: string;
  at: string;
}

export interface PortalState {
  memberId: string;
  title: string;
  host: string;
  port: number;
  users: Map<number, User>;
  chats: Map<number, Chat>;
  bots: Map<number, Bot>;
  nextBotId: number;
  installed: boolean;
  applicationToken: string;
  events: Binding[];
  placements: Binding[];
  faults: Fault[];
  calls: RecordedCall[];
  rate: { level: number; at: number };
  stats: { restCalls: number; rateLimited: number };
}

export interface TokenRecord {
  memberId: string;
  userId: number;
  clientId: string;
  expiresAt: number;
}

export interface OAuthState {
  codes: Map<string, TokenRecord & { used: boolean }>;
  accessTokens: Map<string, TokenRecord>;
  refreshTokens: Map<string, TokenRecord & { used: boolean }>;
  stats: { codeGrants: number; refreshGrants: number };
}

export const token = (bytes = 16) => randomBytes(bytes).toString('hex');

export const GENERAL_CHAT_ID = 1;
export const PRIVATE_DIALOG_ID = 2;
export const MARKUP_CHAT_ID = 18;

export function seedPortal(opts: { memberId: string; title: string; host: string; port: number }): PortalState {
  const users = new Map<number, User>([
    [1, { id: 1, name: 'Anna', lastName: 'Admin', admin: true, email: 'anna@example.com' }],
    [2, { id: 2, name: 'Boris', lastName: 'User', admin: false, email: 'boris@example.com' }],
    [3, { id: 3, name: 'Clara', lastName: 'Outsider', admin: false, email: 'clara@example.com' }],
  ]);
  const chats = new Map<number, Chat>();
  let activity = 1000;
  const add = (chat: Omit<Chat, 'avatar' | 'manageSettings' | 'lastActivity'> & Partial<Pick<Chat, 'manageSettings'>>) =>
    chats.set(chat.id, { avatar: null, manageSettings: 'all', lastActivity: activity--, ...chat });
  add({ id: GENERAL_CHAT_ID, title: 'General chat', type: 'general', ownerId: 1, members: [1, 2, 3], color: '#2fc6f6' });
  add({ id: PRIVATE_DIALOG_ID, title: 'Anna Admin — Boris User', type: 'private', ownerId: 1, members: [1, 2], color: '#aa6fdb' });
  add({ id: 12, title: 'Marketing', type: 'chat', ownerId: 1, members: [1, 2], color: '#df532d' });
  add({ id: 14, title: 'Sales team', type: 'chat', ownerId: 2, members: [1, 2, 3], color: '#29a8df' });
  add({ id: 16, title: 'Board', type: 'chat', ownerId: 1, members: [1], color: '#4ba984', manageSettings: 'owner' });
  add({ id: MARKUP_CHAT_ID, title: '<img src=x onerror=alert(1)> "Quotes" & Co', type: 'chat', ownerId: 1, members: [1, 2], color: '#f7a700' });
  const colours = ['#df532d', '#29a8df', '#4ba984', '#f7a700', '#aa6fdb', '#58cc47'];
  for (let i = 0; i < 60; i++) {
    add({ id: 100 + i, title: `Project ${String(i + 1).padStart(2, '0')}`, type: i % 10 === 9 ? 'open' : 'chat', ownerId: 1, members: [1, 3], color: colours[i % colours.length]! });
  }
  return {
    ...opts,
    users,
    chats,
    bots: new Map(),
    nextBotId: 501,
    installed: false,
    applicationToken: token(),
    events: [],
    placements: [],
    faults: [],
    calls: [],
    rate: { level: 0, at: Date.now() },
    stats: { restCalls: 0, rateLimited: 0 },
  };
}

export function fullName(user: User): string {
  return `${user.name} ${user.lastName}`;
}
