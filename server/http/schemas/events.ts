import { z } from 'zod';
import type { IncomingEvent } from '../../portal/events';
import { parseInput } from './parse-input';

// Bitrix24 posts events form-encoded with nested keys: event, auth[member_id],
// auth[application_token], … (api-reference/events/safe-event-handlers.md).
// Whether the event is genuine is decided by bitrix24/events.ts; here only its shape.

const text = z.string().max(512);

const eventSchema = z
  .object({
    event: text.min(1),
    auth: z.object({
      member_id: text.min(1),
      application_token: text.catch(''),
      refresh_token: text.optional().catch(undefined),
    }),
  })
  .transform((body): Omit<IncomingEvent, 'address'> => ({
    event: body.event,
    memberId: body.auth.member_id,
    applicationToken: body.auth.application_token,
    refreshToken: body.auth.refresh_token ?? null,
  }));

/** The event as posted; the route adds the sender's address. */
export function parseEvent(body: unknown): Omit<IncomingEvent, 'address'> {
  return parseInput(eventSchema, body ?? {}, 'EVENT_NOT_VERIFIED');
}
