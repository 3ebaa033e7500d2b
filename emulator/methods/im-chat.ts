import { RestError } from '../errors';
import { hasChatRole } from '../state';
import { idList, int, param, text, yes, type ListAnswer, type MethodContext, type MethodFamily } from './context';
import { presentChat, presentRecentItem } from './chat-view';
import { setAvatar, userMayChangeLook } from './imbot-chat';

// The user's own view of the messenger (api-reference/chats/*): what a chat picker lists, and
// how a member adds the app's bot to a chat.

const chatIdOf = (ctx: MethodContext): number => {
  const chatId = int(param(ctx.params, 'CHAT_ID'));
  if (chatId <= 0) throw new RestError('CHAT_ID_EMPTY', "Chat ID can't be empty");
  return chatId;
};

export const imChatMethods: MethodFamily = {
  scope: 'im',
  methods: {
    // im-recent-list.md: OFFSET/LIMIT (default 50, max 200), hasMore, total -1.
    'im.recent.list': (ctx): ListAnswer => {
      const offset = Math.max(0, int(param(ctx.params, 'OFFSET')));
      const limit = Math.min(200, Math.max(1, int(param(ctx.params, 'LIMIT')) || 50));
      const chats = [...ctx.portal.chats.values()]
        .filter((c) => c.members.includes(ctx.user.id))
        .filter((c) => !(yes(param(ctx.params, 'SKIP_DIALOG')) && c.type === 'private'))
        .filter((c) => !(yes(param(ctx.params, 'SKIP_CHAT')) && c.type !== 'private'))
        .sort((a, b) => b.lastActivity - a.lastActivity);
      const more = offset + limit < chats.length;
      const items = chats
        .slice(offset, offset + limit)
        .map((c) => presentRecentItem(ctx.avatarLink, c, ctx.user.id, ctx.portal.users, ctx.portal.profile));
      return {
        result: {
          items,
          hasMorePages: more,
          hasMore: more,
          copilot: { chats: null, messages: null, roles: {}, recommendedRoles: [] },
          messagesAutoDeleteConfigs: [],
        },
        total: -1,
      };
    },
    // im-search-chat-list.md: FIND of 2+ characters, OFFSET/LIMIT (default 10, max 50), total, next.
    'im.search.chat.list': (ctx): ListAnswer => {
      const find = text(param(ctx.params, 'FIND')) || text(param(ctx.params, 'FIND_LINES'));
      if (find.length < 2) throw new RestError('FIND_SHORT', 'Too short a search phrase.');
      if (!text(param(ctx.params, 'FIND'))) return { result: [], total: 0 };
      const offset = Math.max(0, int(param(ctx.params, 'OFFSET')));
      const limit = Math.min(50, Math.max(1, int(param(ctx.params, 'LIMIT')) || 10));
      const needle = find.toLowerCase();
      const found = [...ctx.portal.chats.values()]
        .filter(
          (c) => c.type !== 'private' && c.members.includes(ctx.user.id) && c.title.toLowerCase().includes(needle),
        )
        .sort((a, b) => b.lastActivity - a.lastActivity);
      const answer: ListAnswer = {
        result: found
          .slice(offset, offset + limit)
          .map((c) => presentChat(ctx.avatarLink, c, ctx.user.id, ctx.portal.profile)),
        total: found.length,
      };
      if (offset + limit < found.length) answer.next = offset + limit;
      return answer;
    },
    // im-chat-get.md: the chat id by ENTITY_TYPE + ENTITY_ID, null when not found or not given.
    'im.chat.get': (ctx) => {
      const entityType = text(param(ctx.params, 'ENTITY_TYPE'));
      const entityId = text(param(ctx.params, 'ENTITY_ID'));
      if (!entityType || !entityId) return null;
      const chat = [...ctx.portal.chats.values()].find(
        (c) => c.entityType === entityType && c.entityId === entityId && c.members.includes(ctx.user.id),
      );
      return chat ? { ID: chat.id } : null;
    },
    // im-dialog-get.md: DIALOG_ID `chatNNN` (or a user id for a dialog).
    'im.dialog.get': (ctx) => {
      const dialogId = text(param(ctx.params, 'DIALOG_ID'));
      if (!dialogId) throw new RestError('DIALOG_ID_EMPTY', "Dialog ID can't be empty");
      const match = /^chat(\d+)$/.exec(dialogId);
      const userId = match ? 0 : int(dialogId);
      const chat = match
        ? ctx.portal.chats.get(Number(match[1]))
        : [...ctx.portal.chats.values()].find(
            (c) => c.type === 'private' && c.members.includes(userId) && c.members.includes(ctx.user.id),
          );
      if (!chat || !chat.members.includes(ctx.user.id))
        throw new RestError('ACCESS_ERROR', 'You do not have access to the specified dialog', 403);
      return {
        ...presentChat(ctx.avatarLink, chat, ctx.user.id, ctx.portal.profile),
        dialog_id: match ? dialogId : String(userId),
      };
    },
    // im-chat-user-list.md: an empty array when the user may not see the members.
    'im.chat.user.list': (ctx) => {
      const chat = ctx.portal.chats.get(chatIdOf(ctx));
      if (!chat) throw new RestError('ACCESS_ERROR', 'Action unavailable', 403);
      return chat.members.includes(ctx.user.id) ? [...chat.members] : [];
    },
    // im-chat-user-add.md. USERS may hold bots: this is how the app's bot joins a chat. A caller
    // without `permissions.manage_users_add` gets WRONG_REQUEST with HTTP 400 in both
    // generations (im's Chat::addUsers fails and the REST layer reports the request as wrong).
    'im.chat.user.add': (ctx) => {
      const chat = ctx.portal.chats.get(chatIdOf(ctx));
      if (!chat) throw new RestError('ACCESS_ERROR', 'Action unavailable', 403);
      if (chat.type === 'private' || chat.type === 'general')
        throw new RestError('ACCESS_ERROR', 'It is forbidden to add users to this chat', 403);
      // im 19.x had no per-chat permission settings: any member added members.
      const needed = ctx.portal.profile === 'onprem-old' ? 'member' : chat.manageUsersAdd;
      if (!hasChatRole(chat, ctx.user.id, needed))
        throw new RestError('WRONG_REQUEST', "You don't have access or user already member in chat", 400);
      const ids = (idList(param(ctx.params, 'USERS')) ?? [int(param(ctx.params, 'USERS'))]).filter(
        (id) => ctx.portal.users.has(id) || ctx.portal.bots.has(id),
      );
      if (ids.length === 0) throw new RestError('ACCESS_ERROR', 'Action unavailable', 403);
      const joined = ids.filter((id) => ctx.portal.bots.has(id) && !chat.members.includes(id));
      chat.members = [...new Set([...chat.members, ...ids])];
      const hideHistory = yes(param(ctx.params, 'HIDE_HISTORY'));
      for (const botId of joined) ctx.botJoined({ botId, chat, userId: ctx.user.id, hideHistory });
      return true;
    },
    // chats/chat-update/im-chat-update-avatar.md: as the calling user, "a chat participant with
    // permission to change the appearance"; no bot involved. A one-to-one dialog is
    // DIALOG_ID_EMPTY. Current im asks canDo(ChangeAvatar) (ACCESS_DENIED, HTTP 400); im 19.x let
    // any member of a group chat change it and answered anything else as WRONG_REQUEST.
    'im.chat.updateAvatar': async (ctx) => {
      const chat = ctx.portal.chats.get(chatIdOf(ctx));
      if (!chat) throw new RestError('WRONG_REQUEST', "Chat isn't exists");
      if (chat.type === 'private') throw new RestError('DIALOG_ID_EMPTY', "Dialog ID can't be empty");
      if (ctx.portal.profile === 'onprem-old') {
        const group = (chat.type === 'chat' || chat.type === 'open') && chat.entityType === '';
        if (!group || !chat.members.includes(ctx.user.id)) throw new RestError('WRONG_REQUEST', "Chat isn't exists");
      } else if (!userMayChangeLook(chat, ctx.user.id)) throw new RestError('ACCESS_DENIED', 'Access denied', 400);
      await setAvatar(chat, param(ctx.params, 'AVATAR'));
      return true;
    },
  },
};
