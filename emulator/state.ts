import { randomBytes } from 'node:crypto';
import { addCompanyChats } from './company-chats';
import type { TimeBasket } from './time-block';
import {
  ADMIN_USER_ID,
  PLAIN_USER_ID,
  OUTSIDER_USER_ID,
  GENERAL_CHAT_ID,
  PRIVATE_DIALOG_ID,
  MARKETING_CHAT_ID,
  SALES_CHAT_ID,
  BOARD_CHAT_ID,
  MARKUP_CHAT_ID,
  ANNOUNCEMENTS_CHAT_ID,
  WORKGROUP_CHAT_ID,
  CHANNEL_ID,
  FIRST_PROJECT_CHAT_ID,
  PROJECT_CHAT_COUNT,
} from './seed-ids';

// The seed's named ids live in seed-ids.ts (the company seed reads them too); they are the
// emulator's state's as much as ever.
export * from './seed-ids';

// Everything one emulated portal knows: users, chats, bots, bound events and placements, plus
// what the test API needs (faults, recorded calls, counters). Plain data; behaviour lives in
// the method files.

export interface User {
  id: number;
  name: string;
  lastName: string;
  admin: boolean;
  email: string;
}

/** `chat` closed group, `open` open group, `general` the portal's general chat, `private` a one-to-one dialog, `channel` a channel. */
export type ChatType = 'chat' | 'open' | 'general' | 'private' | 'channel';

/** Who may do something in a chat (the `permissions` object of im.recent.list / im.search.chat.list). */
export type ChatRole = 'member' | 'manager' | 'owner';

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
  managers: number[];
  color: string;
  avatar: ChatAvatar | null;
  /** imbot.chat.add ENTITY_TYPE / ENTITY_ID, what im.chat.get and imbot.chat.get look chats up by. */
  entityType: string;
  entityId: string;
  /** Order of the recent list (im.recent.list): higher is more recent. */
  lastActivity: number;
  /** `permissions.manage_ui`: who may change title, colour and avatar. */
  manageUi: ChatRole;
  /** `permissions.manage_users_add`: who may add members. */
  manageUsersAdd: ChatRole;
  /** What bots posted in it (imbot.message.add), oldest first. */
  messages: ChatMessage[];
}

/** A message a bot posted (imbot.message.add). */
export interface ChatMessage {
  id: number;
  /** The bot's user id. */
  authorId: number;
  text: string;
  /** SYSTEM=Y: shown as a notice, not as the bot's message. */
  system: boolean;
  at: string;
}

/** An event the portal posted to the application (ONAPPUNINSTALL, ONIMBOTJOINCHAT, ONAPPINSTALL), and how it was answered. */
export interface SentEvent {
  event: string;
  handler: string;
  /** The fields posted, secrets included (tests compare them). */
  fields: Record<string, string>;
  /** The HTTP status the handler answered; 0 when it did not answer. */
  status: number;
  at: string;
}

export interface Bot {
  id: number;
  code: string;
  name: string;
  type: string;
  /** The application that registered the bot: the token's client id, or `custom{CLIENT_ID}`. */
  appId: string;
  handlers: { EVENT_MESSAGE_ADD: string; EVENT_WELCOME_MESSAGE: string; EVENT_BOT_DELETE: string };
  /** PROPERTIES[PERSONAL_PHOTO] as imbot.register or imbot.update last took it; null: Bitrix24 draws initials. */
  photo: ChatAvatar | null;
}

export interface Binding {
  name: string;
  handler: string;
  appId: string;
  title?: string;
  /** placement.bind's LANG_ALL: a title per interface language. */
  langAll?: Record<string, { TITLE: string; DESCRIPTION: string; GROUP_NAME: string }>;
  options?: Record<string, unknown>;
  /** event.bind's auth_type: 0 = the user whose action fired the event. */
  authType?: number;
}

export interface Fault {
  method: string;
  error?: string;
  description?: string;
  /** For ERROR_ARGUMENT: the parameter the answer names (widgets/im/index.md). */
  argument?: string;
  status?: number;
  latencyMs?: number;
  /** The method runs, then its answer is held this long: a change Bitrix24 made whose answer comes late, or never reaches a caller that gave up. */
  answerLatencyMs?: number;
  /** The method answers success without doing anything (imbot.update was reported answering true while a bot's avatar stayed the same). */
  noEffect?: unknown;
  /** Strikes before the caller's token is looked at: the portal itself is down or slow, for a revoked token too. */
  beforeAuth?: boolean;
  /** Lets this many matching calls through before it strikes (the first batch of an install, say). */
  skip?: number;
  times: number;
}

export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  userId: number;
  clientId: string;
  /** The HTTP request's User-Agent header ('' when none): each call of a batch has its request's. */
  userAgent: string;
  /** Which HTTP request to the portal it came in (1, 2, …; the `restCalls` count then): a batch's calls share one. */
  request: number;
  at: string;
}

/** A frame the portal rendered: its APP_SID and the user it belongs to (for refreshAuth). */
export interface FrameSession {
  userId: number;
  placement: string;
}

/**
 * Which Bitrix24 the portal behaves as (emulator/README.md, "Profiles"):
 * - `cloud`: current cloud `im` (25.x): imbot.chat.updateAvatar checks the calling user before
 *   the bot, and imbot.v2.Chat.update is there;
 * - `cloud-no-v2`: the same `im` on a portal without the imbot.v2 methods;
 * - `onprem-old`: an on-premise portal on `im` 19.x: the bot alone is checked, im.dialog.get
 *   answers without `permissions` and `restrictions`, no imbot.v2.
 */
export type PortalProfile = 'cloud' | 'cloud-no-v2' | 'onprem-old';
export const PORTAL_PROFILES: readonly PortalProfile[] = ['cloud', 'cloud-no-v2', 'onprem-old'];

export interface PortalState {
  memberId: string;
  profile: PortalProfile;
  /** The portal's default language (ONIMBOTJOINCHAT's PARAMS[LANGUAGE]), a Bitrix24 code. */
  language: string;
  /**
   * Methods and events (lower-case method names, upper-case event names) this portal does not
   * have, whatever its profile: an on-premise Bitrix24 whose modules lack them. Empty as seeded.
   */
  absent: Set<string>;
  title: string;
  host: string;
  port: number;
  users: Map<number, User>;
  chats: Map<number, Chat>;
  bots: Map<number, Bot>;
  nextBotId: number;
  nextChatId: number;
  nextMessageId: number;
  /** Bot messages to one user (imbot.message.add to a user's id, or FROM_USER_ID and TO_USER_ID). */
  directMessages: (ChatMessage & { toUserId: number })[];
  /** Every event posted to the application, oldest first. */
  sentEvents: SentEvent[];
  installed: boolean;
  applicationToken: string;
  events: Binding[];
  placements: Binding[];
  faults: Fault[];
  calls: RecordedCall[];
  frames: Map<string, FrameSession>;
  rate: { level: number; at: number };
  /** limits.md's one-minute time baskets (when each started, the seconds in it), per application and method (time-block.ts operatingKey). */
  operating: Map<string, TimeBasket[]>;
  /**
   * limits.md's resource-intensity limit: a method whose baskets hold more than `limitSeconds` is
   * refused (429 OPERATION_TIME_LIMIT) until the oldest drops out; null, not enforced (the
   * self-hosted default). `costs`: seconds a call of a method (lowercase) counts on top of its
   * own time, so a test can make a method costly without waiting.
   */
  operatingLimit: { limitSeconds: number | null; costs: Map<string, number> };
  stats: { codeGrants: number; refreshGrants: number; launchGrants: number; restCalls: number; rateLimited: number };
}

export const randomToken = (bytes = 16) => randomBytes(bytes).toString('hex');

const FIRST_BOT_ID = 501;

const PALETTE = ['#df532d', '#29a8df', '#4ba984', '#f7a700', '#aa6fdb', '#58cc47'];

/** A chat of the seed: what it must say, and whatever else differs from an ordinary group chat. */
export type ChatSeed = Pick<Chat, 'id' | 'title' | 'type' | 'ownerId' | 'members' | 'color'> & Partial<Chat>;

/** `standard`: the chats above; `company`: those and the company's 300 more. */
export type PortalSeed = 'standard' | 'company';

export function seedPortal(opts: {
  memberId: string;
  title: string;
  host: string;
  port: number;
  profile: PortalProfile;
  seed?: PortalSeed;
}): PortalState {
  const users = new Map<number, User>([
    [ADMIN_USER_ID, { id: ADMIN_USER_ID, name: 'Anna', lastName: 'Admin', admin: true, email: 'anna@example.com' }],
    [PLAIN_USER_ID, { id: PLAIN_USER_ID, name: 'Boris', lastName: 'User', admin: false, email: 'boris@example.com' }],
    [
      OUTSIDER_USER_ID,
      { id: OUTSIDER_USER_ID, name: 'Clara', lastName: 'Outsider', admin: false, email: 'clara@example.com' },
    ],
  ]);
  const chats = new Map<number, Chat>();
  let activity = 1000;
  const add = (chat: ChatSeed) =>
    chats.set(chat.id, {
      avatar: null,
      managers: [],
      entityType: '',
      entityId: '',
      manageUi: 'member',
      manageUsersAdd: 'member',
      lastActivity: activity--,
      messages: [],
      ...chat,
    });
  add({
    id: GENERAL_CHAT_ID,
    title: 'General chat',
    type: 'general',
    ownerId: 1,
    members: [1, 2, 3],
    color: '#2fc6f6',
    entityType: 'GENERAL',
    manageUi: 'owner',
    manageUsersAdd: 'owner',
  });
  add({
    id: PRIVATE_DIALOG_ID,
    title: 'Anna Admin — Boris User',
    type: 'private',
    ownerId: 0,
    members: [1, 2],
    color: '#aa6fdb',
  });
  add({ id: MARKETING_CHAT_ID, title: 'Marketing', type: 'chat', ownerId: 1, members: [1, 2], color: '#df532d' });
  add({ id: SALES_CHAT_ID, title: 'Sales team', type: 'chat', ownerId: 2, members: [1, 2, 3], color: '#29a8df' });
  // Only its owner manages the board's look and members.
  add({
    id: BOARD_CHAT_ID,
    title: 'Board',
    type: 'chat',
    ownerId: 1,
    members: [1],
    color: '#4ba984',
    manageUi: 'owner',
    manageUsersAdd: 'owner',
  });
  add({
    id: MARKUP_CHAT_ID,
    title: '<img src=x onerror=alert(1)> "Quotes" & Co',
    type: 'chat',
    ownerId: 1,
    members: [1, 2],
    color: '#f7a700',
  });
  // Everyone may add members (so may add the app's bot), but only the owner changes its look.
  add({
    id: ANNOUNCEMENTS_CHAT_ID,
    title: 'Announcements',
    type: 'chat',
    ownerId: 1,
    members: [1, 2, 3],
    color: '#aa6fdb',
    manageUi: 'owner',
    manageUsersAdd: 'member',
  });
  // A workgroup's chat: its avatar is the workgroup's, so Bitrix24 does not let it change.
  add({
    id: WORKGROUP_CHAT_ID,
    title: 'Design workgroup',
    type: 'chat',
    ownerId: 1,
    members: [1, 2],
    color: '#58cc47',
    entityType: 'SONET_GROUP',
    entityId: '7',
  });
  add({
    id: CHANNEL_ID,
    title: 'Company news',
    type: 'channel',
    ownerId: 1,
    members: [1, 2, 3],
    color: '#f76187',
    manageUi: 'owner',
    manageUsersAdd: 'owner',
  });
  for (let i = 0; i < PROJECT_CHAT_COUNT; i++) {
    add({
      id: FIRST_PROJECT_CHAT_ID + i,
      title: `Project ${String(i + 1).padStart(2, '0')}`,
      type: i % 10 === 9 ? 'open' : 'chat',
      ownerId: 1,
      members: [1, 3],
      color: PALETTE[i % PALETTE.length]!,
    });
  }
  if (opts.seed === 'company') addCompanyChats(add);
  const { seed: _seed, ...portal } = opts;
  return {
    ...portal,
    users,
    chats,
    bots: new Map(),
    language: 'en',
    absent: new Set(),
    nextBotId: FIRST_BOT_ID,
    nextChatId: 1000,
    nextMessageId: 1,
    directMessages: [],
    sentEvents: [],
    installed: false,
    applicationToken: randomToken(),
    events: [],
    placements: [],
    faults: [],
    calls: [],
    frames: new Map(),
    rate: { level: 0, at: Date.now() },
    operating: new Map(),
    operatingLimit: { limitSeconds: null, costs: new Map() },
    stats: { codeGrants: 0, refreshGrants: 0, launchGrants: 0, restCalls: 0, rateLimited: 0 },
  };
}

export function fullName(user: User): string {
  return `${user.name} ${user.lastName}`;
}

/** May `userId` act with a chat right given to `role`? Portal administrators are not special here. */
export function hasChatRole(chat: Chat, userId: number, role: ChatRole): boolean {
  if (!chat.members.includes(userId)) return false;
  if (role === 'member') return true;
  if (role === 'manager') return chat.ownerId === userId || chat.managers.includes(userId);
  return chat.ownerId === userId;
}
