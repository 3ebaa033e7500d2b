import type { Chat, PortalState } from '../state';

export function avatarUrl(baseUrl: string, chat: Chat): string {
  return chat.avatar ? `${baseUrl}/upload/chat-avatar/${chat.id}.${chat.avatar.format === 'jpeg' ? 'jpg' : chat.avatar.format}?v=${chat.avatar.version}` : '';
}

/** A chat as im.chat.get / im.search.chat.list / imbot.chat.get describe it (lower-case keys). */
export function presentChat(portal: PortalState, baseUrl: string, chat: Chat, userId: number) {
  return {
    id: chat.id,
    parent_chat_id: 0,
    name: chat.title,
    description: null,
    owner: chat.ownerId,
    extranet: false,
    avatar: avatarUrl(baseUrl, chat),
    color: chat.color,
    type: chat.type === 'general' ? 'general' : chat.type === 'private' ? 'private' : chat.type === 'open' ? 'open' : 'chat',
    user_counter: chat.members.filter((m) => portal.users.has(m)).length,
    message_type: chat.type === 'open' ? 'O' : chat.type === 'private' ? 'P' : 'C',
    role: chat.ownerId === userId ? 'owner' : chat.members.includes(userId) ? 'member' : 'none',
    manage_settings: chat.manageSettings === 'owner' ? 'owner' : 'all',
    // What the user may do here (true = allowed), as in im.search.chat.list's example.
    restrictions: { avatar: chat.type === 'chat' || chat.type === 'open', rename: chat.type !== 'private', extend: chat.type !== 'private' && chat.type !== 'general', send: true, user_list: true },
    entity_type: chat.type === 'general' ? 'GENERAL' : '',
  };
}
