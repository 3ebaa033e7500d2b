import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors';
import { cutText, MAX_CODE_LENGTH } from '../foreign-text';
import { callBatch, type BatchAnswer } from '../bitrix24/batch';
import type { Bitrix24Error } from '../bitrix24/bitrix24-error';
import { toAppError } from '../bitrix24/error-mapping';
import type { PortalClients } from '../bitrix24/portal-clients';
import type { Portal } from '../store/store';
import { avatarUrlOf, colorOf, titleOf, type ChatLook } from './chat-look';
import { createExpiringCache, OBJECT_BYTES, stringBytes } from './expiring-cache';

// Who may change a chat's avatar, decided by the app before anything is sent. Bitrix24 checks
// differently per generation (docs/bitrix24-behaviours.md): `im` 19.x checks only the bot,
// current `im` checks the calling user first; the app's own decision, from the user's view of
// the chat (im.dialog.get as the user: api-reference/chats/im-dialog-get.md), is the same on both.

/** What im.dialog.get, im.recent.list and im.search.chat.list say of a chat and the user in it. */
export interface ChatView {
  type?: string;
  entity_type?: string;
  role?: string;
  restrictions?: { avatar?: boolean };
  permissions?: { manage_ui?: string; manage_users_add?: string };
  /** The owner's user id. */
  owner?: number;
  /** im-dialog-get.md: "Link to the chat avatar"; a new upload is a new file, so a new link. */
  avatar?: string;
  /** "Chat name", shown before the user chooses a file. */
  name?: string;
  /** "Chat color in HEX format": what Bitrix24 draws the initials on when there is no avatar. */
  color?: string;
  /** "List of chat manager identifiers": named when only the managers may change the chat's look. */
  manager_list?: number[];
}

// Every word the decision reads (type, role, a permission) is a short identifier: longer text is
// cut (foreign-text.ts), which can never make it equal to one the rules know.
const optionalText = z
  .string()
  .transform((text) => cutText(text, MAX_CODE_LENGTH))
  .optional()
  .catch(undefined);

/**
 * im-dialog-get.md gives the avatar as a link, and the app compares links (a change is made when
 * the link changed) and keeps them. A link longer than any URL a browser is sure to load is kept
 * as its digest: equal links stay equal, and the portal cannot make the app hold megabytes.
 */
const MAX_LINK_LENGTH = 2048;
export function linkKey(link: string): string {
  return link.length <= MAX_LINK_LENGTH ? link : `sha256:${createHash('sha256').update(link).digest('hex')}`;
}
const avatarLink = z.string().transform(linkKey).optional().catch(undefined);
const MAX_MANAGERS = 50;

// The part of im.dialog.get's answer the decision rests on. Anything missing or of another type
// reads as absent, and absent never allows: no restrictions.avatar locks the chat, no role is no
// member, no manage_ui asks for the owner.
const chatViewSchema = z
  .object({
    type: optionalText,
    // No entity may come as null; an entity_type of another kind is some entity, which locks.
    entity_type: z
      .string()
      .nullish()
      .transform((value) => cutText(value ?? '', MAX_CODE_LENGTH))
      .catch('unreadable'),
    role: optionalText,
    restrictions: z
      .object({ avatar: z.boolean().optional().catch(undefined) })
      .optional()
      .catch(undefined),
    permissions: z.object({ manage_ui: optionalText, manage_users_add: optionalText }).optional().catch(undefined),
    owner: z.coerce.number().int().optional().catch(undefined),
    avatar: avatarLink,
    name: z.string().transform(titleOf).optional().catch(undefined),
    color: z
      .string()
      .transform((value) => colorOf(value) ?? undefined)
      .optional()
      .catch(undefined),
    // A chat's managers are a handful; a portal answering thousands has the rest ignored.
    manager_list: z
      .array(z.coerce.number().int().positive())
      .transform((ids) => ids.slice(0, MAX_MANAGERS))
      .optional()
      .catch(undefined),
  })
  .catch({ entity_type: '' });

/** im.dialog.get's answer, as far as the decision reads it. */
export function readChatView(answer: unknown): ChatView {
  return chatViewSchema.parse(answer);
}

/** Who may change the look (im-dialog-get.md, "Object permissions"): member < manager < owner. */
const RANK: Record<string, number> = { member: 1, manager: 2, owner: 3 };

/** Chats whose avatar is not the chat's own: the portal's general chat, channels, dialogs. */
const NOT_CHANGEABLE_TYPES = new Set([
  'general',
  'private',
  'user',
  'channel',
  'openchannel',
  'lines',
  'crm',
  'call',
  'sonetgroup',
  'calendar',
  'tasks',
  'mail',
  'comment',
  'copilot',
]);

export type ChatRefusal = 'NOT_CHAT_MEMBER' | 'CHAT_AVATAR_LOCKED' | 'CHAT_OWNER_ONLY' | 'CHAT_MANAGERS_ONLY';

/**
 * Why a locked chat's avatar is not its own, said to the user in its own sentence: a one-to-one
 * dialog shows the other person, the general chat is the portal's, a chat bound to a workgroup,
 * a CRM item, a task or a calendar event takes its look from there.
 */
export type LockedKind = 'dialog' | 'general' | 'entity' | 'other';
const DIALOG_TYPES = new Set(['private', 'user']);
const ENTITY_TYPES = new Set(['sonetgroup', 'crm', 'tasks', 'calendar', 'mail', 'lines', 'call', 'comment']);

export function lockedKindOf(view: ChatView): LockedKind {
  const type = String(view.type ?? '').toLowerCase();
  if (DIALOG_TYPES.has(type)) return 'dialog';
  if (type === 'general') return 'general';
  if (ENTITY_TYPES.has(type) || (view.entity_type ?? '') !== '') return 'entity';
  return 'other';
}

/**
 * The refusal of a chat the user may not change, with what the page shows of it before asking
 * for a file, in `fields`: its look (`title`, `avatarUrl`, `color`), and who can change it (the
 * owner or the managers, whom the refusal's sentence names: errors.ts messageOf). Bitrix24's own
 * refusal of the dialog (ACCESS_ERROR) has no look: the user cannot see the chat.
 */
export class ChatRefused extends AppError {
  /** The managers' ids (the owner first), named by `withManagers` once asked. */
  readonly managerIds: number[];

  constructor(code: ChatRefusal, opts: { detail: string; managerIds?: number[]; fields?: Record<string, string> }) {
    super(code, { detail: opts.detail, fields: opts.fields });
    this.managerIds = opts.managerIds ?? [];
  }

  /** The same refusal, naming the owner and managers of a chat only they may change. */
  withManagers(names: string[]): ChatRefused {
    return new ChatRefused(this.code as ChatRefusal, {
      detail: this.detail ?? '',
      managerIds: this.managerIds,
      fields: { ...this.fields, managers: names.join(', ') },
    });
  }
}

/** Why the user may not change this chat's avatar, or null when they may. */
export function refusalFor(view: ChatView): ChatRefusal | null {
  const type = String(view.type ?? '').toLowerCase();
  if (NOT_CHANGEABLE_TYPES.has(type) || (view.entity_type ?? '') !== '' || view.restrictions?.avatar !== true)
    return 'CHAT_AVATAR_LOCKED';
  // An open chat can be viewed without joining it; only members count.
  const has = RANK[String(view.role ?? '').toLowerCase()];
  if (has === undefined) return 'NOT_CHAT_MEMBER';
  const needed = String(view.permissions?.manage_ui ?? 'owner').toLowerCase();
  if (has >= (RANK[needed] ?? RANK.owner!)) return null;
  return needed === 'manager' ? 'CHAT_MANAGERS_ONLY' : 'CHAT_OWNER_ONLY';
}

/** What the app knows of a chat, from the user's side, when it decides. */
export interface ChatAccess {
  /** The chat's avatar link (im-dialog-get.md), '' when it has none. */
  avatar: string;
  /** Whether the app's bot is a member (im.chat.user.list); null when the app cannot tell. */
  botInChat: boolean | null;
  /** Whether the user may add members (`permissions.manage_users_add`; any member on im 19.x). */
  mayAddMembers: boolean;
  /** The chat's owner, who can always add members: named in a refused join. */
  owner: { id: number; name: string | null } | null;
  /** `current`: im.dialog.get reports role, permissions and restrictions; `old`: im 19.x, it does not. */
  generation: 'current' | 'old';
  /** The chat's own view, for the sentence of a refusal Bitrix24 makes later. */
  view: ChatView;
  /** What the page shows of the chat before it asks for a file. */
  look: ChatLook;
}

export interface ChatPermission {
  /** The user's right to change the chat's avatar, remembered for a minute; throws a 403 AppError when refused. */
  assertMayChange(portal: Portal, userId: number, chatId: number): Promise<ChatAccess>;
  /** The same decision asked of Bitrix24 this moment (never the remembered one). */
  checkNow(portal: Portal, userId: number, chatId: number): Promise<ChatAccess>;
  /** After any refusal from Bitrix24, the next attempt asks again. */
  forget(memberId: string, userId: number, chatId: number): void;
  /**
   * The newest avatar link this instance has seen for a chat, from any user's check or change:
   * what a change sent now replaces, when the change's own answer never comes.
   */
  lastAvatarLink(memberId: string, chatId: number): string | undefined;
  /** A change's answer showed the chat's new link (and, after a join, the bot in the chat). */
  noteChanged(memberId: string, userId: number, chatId: number, avatar: string, botJoined: boolean): void;
}

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;
/** What the remembered rights and links may hold, in estimated bytes. */
const MAX_BYTES = 8 * 1024 * 1024;
/** The newest link seen per chat is kept for as long as a change may take to settle. */
const LINK_TTL_MS = 15 * 60_000;
/** A user's name as Bitrix24 keeps it (NAME and LAST_NAME are 50-character fields each); longer is cut. */
const MAX_NAME_LENGTH = 100;

const viewBytes = (view: ChatView) =>
  OBJECT_BYTES +
  stringBytes(view.type) +
  stringBytes(view.entity_type) +
  stringBytes(view.role) +
  stringBytes(view.avatar) +
  stringBytes(view.permissions?.manage_ui) +
  stringBytes(view.permissions?.manage_users_add) +
  stringBytes(view.name) +
  stringBytes(view.color) +
  8 * (view.manager_list?.length ?? 0);
const accessBytes = (access: ChatAccess) =>
  OBJECT_BYTES +
  stringBytes(access.avatar) +
  stringBytes(access.owner?.name) +
  viewBytes(access.view) +
  OBJECT_BYTES +
  stringBytes(access.look.title) +
  stringBytes(access.look.avatarUrl) +
  stringBytes(access.look.color);

/** Old `im` (19.x) had no per-chat roles: any member of a group chat changed its look (im.chat.updateAvatar's page of that time: "any user"). */
const OLD_GROUP_TYPES = new Set(['chat', 'open']);

/**
 * The decision on `im` 19.x, whose im.dialog.get reports no role, permissions or restrictions:
 * a group chat of its own (no entity) may be changed by its members, whom im.chat.user.list names.
 */
export function oldRefusalFor(view: ChatView, isMember: boolean): ChatRefusal | null {
  const type = String(view.type ?? '').toLowerCase();
  if (!OLD_GROUP_TYPES.has(type) || (view.entity_type ?? '') !== '') return 'CHAT_AVATAR_LOCKED';
  return isMember ? null : 'NOT_CHAT_MEMBER';
}

/** A view with neither `permissions` nor `restrictions` comes from im 19.x. */
export function generationOf(view: ChatView): 'current' | 'old' {
  return view.permissions === undefined && view.restrictions === undefined ? 'old' : 'current';
}

const memberIdsSchema = z.array(z.coerce.number().int()).catch([]);
const namePart = z
  .string()
  .transform((text) => cutText(text, MAX_NAME_LENGTH))
  .optional()
  .catch(undefined);
const userNameSchema = z.array(z.object({ NAME: namePart, LAST_NAME: namePart })).catch([]);
const namedUsersSchema = z
  .array(z.object({ ID: z.coerce.number().int(), NAME: namePart, LAST_NAME: namePart }).catch({ ID: 0 }))
  .catch([]);
/** Who may change a chat only its managers may change: the first few are named, then `…`. */
const MAX_NAMED_MANAGERS = 5;

/** One chat's answers, as the check's batch gets them (a bulk check gets them for many chats at once). */
export interface ChatAnswers {
  /** im.dialog.get's answer, or its refusal. */
  view: unknown;
  viewError?: Bitrix24Error;
  /** im.chat.user.list's answer. */
  members: unknown;
  /** user.get's answer for the owner (a list), when it was asked. */
  owner?: unknown;
}

/**
 * The decision from one chat's answers, by the rule of its generation: the user's access, or the
 * refusal (a 403 AppError) thrown.
 */
export function decideChatAccess(portal: Portal, userId: number, chatId: number, answers: ChatAnswers): ChatAccess {
  const viewError = answers.viewError;
  // im-dialog-get.md: ACCESS_ERROR 403 "You do not have access to the specified dialog".
  if (viewError?.code === 'ACCESS_ERROR')
    throw new ChatRefused('NOT_CHAT_MEMBER', {
      detail: `im.dialog.get chat${chatId}: ${viewError.description}`,
    });
  if (viewError) throw toAppError(viewError);
  const view = readChatView(answers.view);
  const members = memberIdsSchema.parse(answers.members);
  const generation = generationOf(view);
  const refusal = generation === 'current' ? refusalFor(view) : oldRefusalFor(view, members.includes(userId));
  const ownerId = Number(view.owner ?? 0);
  const [ownerName] = userNameSchema.parse(answers.owner);
  const owner =
    ownerId > 0
      ? { id: ownerId, name: [ownerName?.NAME, ownerName?.LAST_NAME].filter(Boolean).join(' ') || null }
      : null;
  const look: ChatLook = {
    title: view.name ?? '',
    avatarUrl: avatarUrlOf(portal, rawAvatarOf(answers.view)),
    color: view.color ?? null,
  };
  if (refusal) {
    const detail = `chat${chatId} (${generation} im): role ${view.role}, manage_ui ${view.permissions?.manage_ui}, restrictions.avatar ${view.restrictions?.avatar}, type ${view.type}`;
    // The page shows the chat it refuses (title, avatar, colour) from the refusal itself.
    const fields: Record<string, string> = { title: look.title };
    if (look.avatarUrl) fields.avatarUrl = look.avatarUrl;
    if (look.color) fields.color = look.color;
    if (refusal === 'CHAT_AVATAR_LOCKED') fields.kind = lockedKindOf(view);
    if (owner?.name && refusal === 'CHAT_OWNER_ONLY') fields.owner = owner.name;
    // The managers are named by a call of their own (namingManagers); until then, the owner.
    if (owner?.name && refusal === 'CHAT_MANAGERS_ONLY') fields.managers = owner.name;
    const managerIds = [...new Set([...(owner ? [owner.id] : []), ...(view.manager_list ?? [])])];
    throw new ChatRefused(refusal, { detail, managerIds, fields });
  }
  return {
    avatar: view.avatar ?? '',
    botInChat: portal.botId && members.length > 0 ? members.includes(portal.botId) : null,
    mayAddMembers: generation === 'old' || mayAddMembers(view),
    owner,
    generation,
    view,
    look,
  };
}

/** The avatar link as im.dialog.get gave it (the view keeps a digest of a long one, which no page can load). */
function rawAvatarOf(answer: unknown): unknown {
  return answer && typeof answer === 'object' ? (answer as { avatar?: unknown }).avatar : undefined;
}

export function createChatPermission(deps: { clients: PortalClients; now?: () => number }): ChatPermission {
  const now = deps.now ?? Date.now;
  // Only "allowed" is remembered, briefly: a revoked right costs at most a minute. Both are
  // held by count, bytes and age (expiring-cache.ts): their values are the portal's words.
  const allowed = createExpiringCache<ChatAccess>({
    ttlMs: TTL_MS,
    maxBytes: MAX_BYTES,
    maxEntries: MAX_ENTRIES,
    sizeOf: accessBytes,
    now,
  });
  // The newest link seen per chat: what a change whose answer never came replaced. Kept as long
  // as a change may wait to be settled (change-settlement.ts reads it within minutes).
  const links = createExpiringCache<string>({
    ttlMs: LINK_TTL_MS,
    maxBytes: MAX_BYTES,
    maxEntries: MAX_ENTRIES,
    sizeOf: stringBytes,
    now,
  });
  const key = (memberId: string, userId: number, chatId: number) => `${memberId}/${userId}/${chatId}`;

  /**
   * One request (a batch, limits.md): the user's view of the chat, its members (is the bot in?),
   * and its owner's name, which a refused join names.
   */
  async function check(portal: Portal, userId: number, chatId: number): Promise<ChatAccess> {
    const k = key(portal.memberId, userId, chatId);
    allowed.delete(k);
    let answer: BatchAnswer;
    try {
      const rest = await deps.clients.forOwner(portal, userId);
      answer = await callBatch(
        rest,
        {
          view: { method: 'im.dialog.get', params: { DIALOG_ID: `chat${chatId}` } },
          members: { method: 'im.chat.user.list', params: { CHAT_ID: chatId } },
          owner: { method: 'user.get', params: { ID: '$result[view][owner]' } },
        },
        // halt: a chat the user cannot see stops there (an owner of "" would list every user).
        { halt: true },
      );
    } catch (error) {
      throw toAppError(error);
    }
    let access: ChatAccess;
    try {
      access = decideChatAccess(portal, userId, chatId, {
        view: answer.results.view,
        viewError: answer.errors.view,
        members: answer.results.members,
        owner: answer.results.owner,
      });
    } catch (error) {
      throw error instanceof ChatRefused && error.code === 'CHAT_MANAGERS_ONLY'
        ? await namingManagers(portal, userId, error)
        : error;
    }
    allowed.set(k, access);
    links.set(`${portal.memberId}/${chatId}`, access.avatar);
    return access;
  }

  /**
   * A chat only its owner and managers may change names them (the owner first): one user.get as
   * the user, for the first few. Without their names the refusal still names the owner.
   */
  async function namingManagers(portal: Portal, userId: number, refused: ChatRefused): Promise<ChatRefused> {
    const ids = refused.managerIds.slice(0, MAX_NAMED_MANAGERS);
    if (ids.length < 2) return refused;
    let answer: unknown;
    try {
      const rest = await deps.clients.forOwner(portal, userId);
      answer = await rest.call('user.get', { FILTER: { ID: ids } });
    } catch {
      return refused;
    }
    const names = new Map(
      namedUsersSchema.parse(answer).map((u) => [u.ID, [u.NAME, u.LAST_NAME].filter(Boolean).join(' ')]),
    );
    const named = ids.map((id) => names.get(id)).filter((name): name is string => Boolean(name));
    if (named.length === 0) return refused;
    return refused.withManagers(refused.managerIds.length > ids.length ? [...named, '…'] : named);
  }

  return {
    async assertMayChange(portal, userId, chatId) {
      return allowed.get(key(portal.memberId, userId, chatId)) ?? check(portal, userId, chatId);
    },
    checkNow: check,
    forget(memberId, userId, chatId) {
      allowed.delete(key(memberId, userId, chatId));
    },
    lastAvatarLink(memberId, chatId) {
      return links.get(`${memberId}/${chatId}`);
    },
    noteChanged(memberId, userId, chatId, avatar, botJoined) {
      const link = linkKey(avatar);
      links.set(`${memberId}/${chatId}`, link);
      const remembered = allowed.get(key(memberId, userId, chatId));
      // The right was decided when it was, and keeps its time. The page shows the new link
      // (Bitrix24 answers an absolute one; any other shows the chat's colour until the next check).
      if (remembered)
        allowed.replace(key(memberId, userId, chatId), {
          ...remembered,
          avatar: link,
          botInChat: botJoined || remembered.botInChat,
          look: { ...remembered.look, avatarUrl: avatar ? avatarUrlOf({ clientEndpoint: '' }, avatar) : null },
        });
    },
  };
}

/** Does the user's role reach `permissions.manage_users_add` (owner when absent)? */
function mayAddMembers(view: ChatView): boolean {
  const has = RANK[String(view.role ?? '').toLowerCase()] ?? 0;
  const needed = RANK[String(view.permissions?.manage_users_add ?? 'owner').toLowerCase()] ?? RANK.owner!;
  return has >= needed;
}
