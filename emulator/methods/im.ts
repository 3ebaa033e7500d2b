import { RestError } from '../errors';
import { int, text, yes, type ListAnswer, type Method } from './context';
import { avatarUrl, presentChat } from './chat-view';

// The user's own view of the messenger (api-reference/chats/*): what the chat picker lists.

export const imMethods: Record<string, Method> = {
  'im.recent.list': (ctx): ListAnswer => {
    const offset = Math.max(0, int(ctx.params.OFFSET));
    const limit = Math.min(200, Math.max(1, int(ctx.params.LIMIT) || 50));
    const chats = [...ctx.portal.chats.values()]
      .filter((c) => c.members.includes(ctx.user.id))
      .filter((c) => !(yes(ctx.params.SKIP_DIALOG) && c.type === 'private'))
      .filter((c) => !(yes(ctx.params.SKIP_CHAT) && c.type !== 'private'))
      .sort((a, b) => b.lastActivity - a.lastActivity);
    const page = chats.slice(offset, offset + limit);
    return {
      result: {
        items: page.map((c) => ({
          id: c.type === 'private' ? c.members.find((m) => m !== ctx.user.id) : `chat${c.id}`,
          chat_id: c.id,
          type: c.type === 'private' ? 'user' : 'chat',
          avatar: { url: avatarUrl(ctx.baseUrl, c), color: c.color },
          title: c.title,
          counter: 0,
          pinned: false,
          unread: false,
          chat: { id: c.id, name: c.title, owner: c.ownerId, avatar: avatarUrl(ctx.baseUrl, c), color: c.color, type: c.type, entity_type: c.type === 'general' ? 'GENERAL' : '' },
        })),
        hasMorePages: offset + limit < chats.length,
        hasMore: offset + limit < chats.length,
      },
    };
  },
  'im.search.chat.list': (ctx): ListAnswer => {
    const find = text(ctx.params.FIND).toLowerCase();
    if (!find) throw new RestError('FIND_SHORT', 'Too short a search phrase.');
    const offset = Math.max(0, int(ctx.params.OFFSET));
    const limit = Math.min(50, Math.max(1, int(ctx.params.LIMIT) || 10));
    const found = [...ctx.portal.chats.values()].filter((c) => c.type !== 'private' && c.members.includes(ctx.user.id) && c.title.toLowerCase().includes(find));
    const page = found.slice(offset, offset + limit);
    const answer: ListAnswer = { result: page.map((c) => presentChat(ctx.portal, ctx.baseUrl, c, ctx.user.id)), total: found.length };
    if (offset + limit < found.length) answer.next = offset + limit;
    return answer;
  },
  'im.chat.get': (ctx) => {
    const chat = ctx.portal.chats.get(int(ctx.params.CHAT_ID));
    if (!chat || !chat.members.includes(ctx.user.id)) return null;
    return presentChat(ctx.portal, ctx.baseUrl, chat, ctx.user.id);
  },
  'im.dialog.get': (ctx) => {
    const match = /^chat(\d+)$/.exec(text(ctx.params.DIALOG_ID));
    const chat = match ? ctx.portal.chats.get(Number(match[1])) : undefined;
    if (!chat || !chat.members.includes(ctx.user.id)) throw new RestError('ACCESS_ERROR', 'You do not have access to the specified dialog', 403);
    return { ...presentChat(ctx.portal, ctx.baseUrl, chat, ctx.user.id), dialog_id: `chat${chat.id}` };
  },
  'im.chat.user.list': (ctx) => {
    const chat = ctx.portal.chats.get(int(ctx.params.CHAT_ID));
    if (!chat || !chat.members.includes(ctx.user.id)) throw new RestError('ACCESS_ERROR', 'Action unavailable', 403);
    return chat.members;
  },
  'im.chat.user.add': (ctx) => {
    const chatId = int(ctx.params.CHAT_ID);
    if (!chatId) throw new RestError('CHAT_ID_EMPTY', "Chat ID can't be empty");
    const chat = ctx.portal.chats.get(chatId);
    if (!chat) throw new RestError('ACCESS_ERROR', 'Action unavailable', 403);
    if (chat.type === 'private' || chat.type === 'general') throw new RestError('ACCESS_ERROR', 'It is forbidden to add users to this chat', 403);
    if (!chat.members.includes(ctx.user.id) || (chat.manageSettings === 'owner' && chat.ownerId !== ctx.user.id)) {
      throw new RestError('ACCESS_DENIED_EXTEND', 'Insufficient permissions to add participants to the chat', 403);
    }
    const ids = (Array.isArray(ctx.params.USERS) ? ctx.params.USERS : [ctx.params.USERS]).map(int).filter((id) => ctx.portal.users.has(id) || ctx.portal.bots.has(id));
    if (ids.length === 0) throw new RestError('USERS_EMPTY', 'User IDs can\'t be empty');
    chat.members = [...new Set([...chat.members, ...ids])];
    return true;
  },
};
