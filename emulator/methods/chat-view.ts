import type { Chat, PortalProfile, User } from '../state';

// How chats look in answers: im.search.chat.list's chat object and im.recent.list's items
// (api-reference/chats/search/im-search-chat-list.md, im-recent-list.md).

/**
 * Where the emulated portal's own pages show a chat's avatar. What the REST answers give is the
 * link of avatar-cdn.ts ("Link to the chat avatar", api-reference/chats/im-dialog-get.md; ''
 * when it has none): a new avatar is a new uploaded file, so its link changes with it. Were a
 * portal to answer the same link, the app would send a lost change again: made twice at worst,
 * never reported made when it was not (server/chats/update-chat-avatar.ts).
 */
export function avatarPath(chat: Chat): string {
  if (!chat.avatar) return '';
  const ext = chat.avatar.format === 'jpeg' ? 'jpg' : chat.avatar.format;
  return `/upload/chat-avatar/${chat.id}.${ext}?v=${chat.avatar.version}`;
}

/** A chat's avatar link, as the portal's REST answers give it. */
export type AvatarLink = (chat: Chat) => string;

const messageType = (chat: Chat) =>
  chat.type === 'open' ? 'O' : chat.type === 'private' ? 'P' : chat.type === 'channel' ? 'N' : 'C';

/** What the user may do here (true = allowed), as in im.search.chat.list's `restrictions`. */
function restrictions(chat: Chat) {
  const group = chat.type === 'chat' || chat.type === 'open';
  // A chat bound to an entity (a workgroup, a CRM deal) takes its look from that entity
  // (im-dialog-get.md's example: a CRM chat with avatar false).
  const ownLook = group && chat.entityType === '';
  return {
    avatar: ownLook,
    rename: ownLook,
    extend: group || chat.type === 'channel',
    call: true,
    mute: true,
    leave: group,
    leave_owner: group,
    send: true,
    user_list: true,
    path: '',
    path_title: '',
  };
}

function role(chat: Chat, userId: number): string {
  if (chat.ownerId === userId) return 'owner';
  if (chat.managers.includes(userId)) return 'manager';
  return chat.members.includes(userId) ? 'member' : 'none';
}

/**
 * A chat as the user sees it. `im` 19.x (`onprem-old`) knew no roles or per-chat permissions: its
 * answers have no `role`, `permissions` or `restrictions` (they came with the chat permission
 * settings of later `im`).
 */
export function presentChat(avatarLink: AvatarLink, chat: Chat, userId: number, profile: PortalProfile = 'cloud') {
  const view = presentCurrentChat(avatarLink, chat, userId);
  if (profile !== 'onprem-old') return view;
  const { role: _role, permissions: _permissions, restrictions: _restrictions, ...old } = view;
  return old;
}

function presentCurrentChat(avatarLink: AvatarLink, chat: Chat, userId: number) {
  return {
    id: chat.id,
    parent_chat_id: 0,
    parent_message_id: 0,
    name: chat.title,
    description: null,
    owner: chat.ownerId,
    extranet: false,
    avatar: avatarLink(chat),
    color: chat.color,
    type: chat.type,
    counter: 0,
    user_counter: chat.members.length,
    message_count: 0,
    unread_id: 0,
    restrictions: restrictions(chat),
    last_message_id: 0,
    last_id: 0,
    marked_id: 0,
    disk_folder_id: 0,
    entity_type: chat.entityType,
    entity_id: chat.entityId,
    entity_data_1: '',
    entity_data_2: '',
    entity_data_3: '',
    mute_list: [],
    manager_list: chat.managers,
    date_create: new Date(Date.UTC(2025, 0, 1)).toISOString(),
    message_type: messageType(chat),
    public: '',
    role: role(chat, userId),
    entity_link: { type: chat.entityType, url: '', id: chat.entityId },
    text_field_enabled: true,
    background_id: null,
    permissions: {
      manage_users_add: chat.manageUsersAdd,
      manage_users_delete: 'manager',
      manage_ui: chat.manageUi,
      manage_settings: 'owner',
      manage_messages: 'member',
      can_post: 'member',
    },
    is_new: false,
  };
}

/** One item of im.recent.list: a group chat, or a one-to-one dialog seen from `userId`. */
export function presentRecentItem(
  avatarLink: AvatarLink,
  chat: Chat,
  userId: number,
  users: Map<number, User>,
  profile: PortalProfile = 'cloud',
) {
  const date = new Date(Date.UTC(2026, 0, 1) + chat.lastActivity * 60_000).toISOString();
  const message = {
    id: chat.lastActivity,
    text: '',
    file: false,
    author_id: chat.ownerId,
    attach: false,
    sticker: null,
    date,
    status: 'received',
    uuid: null,
  };
  const common = {
    counter: 0,
    last_id: 0,
    pinned: false,
    unread: false,
    has_reminder: false,
    date_update: date,
    date_last_activity: date,
    message,
    options: [],
  };
  if (chat.type === 'private') {
    const otherId = chat.members.find((m) => m !== userId) ?? userId;
    const other = users.get(otherId);
    const name = other ? `${other.name} ${other.lastName}` : '';
    return {
      id: otherId,
      chat_id: chat.id,
      type: 'user',
      avatar: { url: '', color: chat.color },
      title: name,
      ...common,
      user: {
        id: otherId,
        active: true,
        name,
        first_name: other?.name ?? '',
        last_name: other?.lastName ?? '',
        work_position: '',
        color: chat.color,
        avatar: '',
        bot: false,
        type: 'user',
      },
      chat: { text_field_enabled: true, background_id: null, mute_list: [] },
    };
  }
  const view = presentChat(avatarLink, chat, userId, profile);
  return {
    id: `chat${chat.id}`,
    chat_id: chat.id,
    // im-recent-list.md: the record type is `user` or `chat`; the chat's own type is in `chat.type`.
    type: 'chat',
    avatar: { url: view.avatar, color: chat.color },
    title: chat.title,
    ...common,
    chat: 'role' in view ? { ...view, role: String(view.role).toUpperCase() } : view,
  };
}
