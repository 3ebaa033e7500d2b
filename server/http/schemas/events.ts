import { z } from 'zod';
import type { IncomingEvent } from '../../portal/events';
import { parseInput } from './parse-input';

// Bitrix24 posts events form-encoded with nested keys: event, auth[member_id],
// auth[application_token], … (api-reference/events/safe-event-handlers.md).
// Whether the event is genuine is decided by bitrix24/events.ts; here only its shape.

const text = z.string().max(512);
/** A field only some events carry: anything unreadable reads as absent. */
const optionalText = text.optional().catch(undefined);

// ONIMBOTJOINCHAT's data[PARAMS] (api-reference/chat-bots/outdated/chats/events/on-imbot-join-chat.md):
// only what the greeting needs. data[BOT] carries the bot's own access and refresh tokens, and
// data[USER] the adding user's name: neither is read, so neither goes anywhere.
const joinParamsSchema = z
  .object({
    BOT_ID: z.coerce.number().int().positive(),
    DIALOG_ID: z.string().regex(/^(chat)?\d{1,12}$/),
    CHAT_TYPE: z.string().max(8).catch(''),
    LANGUAGE: optionalText,
  })
  .optional()
  .catch(undefined);

const eventSchema = z
  .object({
    event: text.min(1),
    data: z
      .object({
        // ONAPPUNINSTALL (api-reference/common/events/on-app-uninstall.md): 1 or 0.
        CLEAN: optionalText,
        PARAMS: joinParamsSchema,
      })
      .optional()
      .catch(undefined),
    auth: z.object({
      member_id: text.min(1),
      application_token: text.catch(''),
      refresh_token: optionalText,
    }),
  })
  .transform((body): Omit<IncomingEvent, 'address'> => {
    const join = body.data?.PARAMS;
    return {
      event: body.event,
      memberId: body.auth.member_id,
      applicationToken: body.auth.application_token,
      refreshToken: body.auth.refresh_token ?? null,
      clean: body.data?.CLEAN === '1',
      botJoin: join
        ? { botId: join.BOT_ID, dialogId: join.DIALOG_ID, chatType: join.CHAT_TYPE, language: join.LANGUAGE ?? null }
        : null,
    };
  });

/** The event as posted; the route adds the sender's address. */
export function parseEvent(body: unknown): Omit<IncomingEvent, 'address'> {
  return parseInput(eventSchema, body ?? {}, 'EVENT_NOT_VERIFIED');
}
