import type { Bot, Chat } from './state';

/** A chat as the test API shows it (`GET /_emulator/chats/:id`, `portal.chat(id)`). */
export interface EmulatedChat {
  id: number;
  title: string;
  members: number[];
  /** How many times its avatar was changed (each change raises the version in its link). */
  avatarChanges: number;
  avatar: { format: string; width: number; height: number; bytes: number; base64: string } | null;
  /** What bots posted in it (imbot.message.add), oldest first. */
  messages: { id: number; authorId: number; text: string; system: boolean }[];
}

export function presentEmulatedChat(chat: Chat): EmulatedChat {
  return {
    id: chat.id,
    title: chat.title,
    members: [...chat.members],
    messages: chat.messages.map(({ id, authorId, text, system }) => ({ id, authorId, text, system })),
    avatarChanges: chat.avatar?.version ?? 0,
    avatar: chat.avatar
      ? {
          format: chat.avatar.format,
          width: chat.avatar.width,
          height: chat.avatar.height,
          bytes: chat.avatar.data.length,
          base64: chat.avatar.data.toString('base64'),
        }
      : null,
  };
}

/** A bot as the test API shows it (`GET /_emulator/bots`, `portal.bots()`): its face as imbot.register or imbot.update kept it. */
export interface EmulatedBot {
  id: number;
  code: string;
  name: string;
  appId: string;
  /** How many times its face was set (imbot.register, then each imbot.update with PERSONAL_PHOTO). */
  photoChanges: number;
  photo: { format: string; width: number; height: number; bytes: number; base64: string } | null;
}

export function presentEmulatedBot(bot: Bot): EmulatedBot {
  return {
    id: bot.id,
    code: bot.code,
    name: bot.name,
    appId: bot.appId,
    photoChanges: bot.photo?.version ?? 0,
    photo: bot.photo
      ? {
          format: bot.photo.format,
          width: bot.photo.width,
          height: bot.photo.height,
          bytes: bot.photo.data.length,
          base64: bot.photo.data.toString('base64'),
        }
      : null,
  };
}
