import type { Chat } from './state';

/** A chat as the test API shows it (`GET /_emulator/chats/:id`, `portal.chat(id)`). */
export interface EmulatedChat {
  id: number;
  title: string;
  members: number[];
  /** How many times its avatar was changed (each change raises the version in its link). */
  avatarChanges: number;
  avatar: { format: string; width: number; height: number; bytes: number; base64: string } | null;
}

export function presentEmulatedChat(chat: Chat): EmulatedChat {
  return {
    id: chat.id,
    title: chat.title,
    members: [...chat.members],
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
