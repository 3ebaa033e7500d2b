import { AppError } from '../errors';
import { Bitrix24Error, Bitrix24UnavailableError } from '../bitrix24/bitrix24-error';
import type { AvatarChangeAnswer, ChangeMethod } from './avatar-change-batch';
import { generationOf, refusalFor, type ChatAccess, type ChatView } from './chat-permission';

// How a change goes to Bitrix24 and how its refusals are read, for one chat or many: by cause
// (docs/bitrix24-behaviours.md, "Changing an avatar"). About the user, never a join; about the
// bot, a join as the user, and only after Bitrix24 has said the bot is outside, so a user
// Bitrix24 refuses never puts the bot in someone else's chat.

/** `bot`: the app's bot makes the change, joining first when it must; `user`: the user makes it (im.chat.updateAvatar). */
export type ChangeWay = 'bot' | 'user';

export interface ChangeAttempt {
  method: ChangeMethod;
  /** Add the bot (as the user) first. */
  join: boolean;
  /** Attempts made before this one; at most three in all. */
  tried: number;
}

/** After a refusal: another attempt, the chat asked again first, or the refusal to report. */
export type NextStep =
  | { kind: 'retry'; attempt: ChangeAttempt; methodMissing?: ChangeMethod }
  /** imbot.v2's ACCESS_DENIED: is the bot outside? The members, asked now, tell (`afterRecheck`). */
  | { kind: 'recheck' }
  | { kind: 'fail'; error: unknown };

/** A step once the chat has been asked again: another attempt, or the refusal. */
export type DecidedStep = Exclude<NextStep, { kind: 'recheck' }>;

/**
 * The first attempt. A bot known to be outside is not added yet: first the change alone, by the
 * method whose refusals tell the caller from the bot (imbot.chat.updateAvatar: ACCESS_DENIED is
 * the caller on current im, WRONG_REQUEST the bot).
 */
export function firstAttempt(
  way: ChangeWay,
  access: Pick<ChatAccess, 'botInChat'>,
  preferred: ChangeMethod,
): ChangeAttempt {
  const method: ChangeMethod = way === 'bot' && access.botInChat === false ? 'imbot.chat.updateAvatar' : preferred;
  return { method, join: false, tried: 0 };
}

/** Known before anything is sent: the bot is outside and this user may not add it. */
export function joinKnownDenied(way: ChangeWay, access: ChatAccess): AppError | null {
  return way === 'bot' && access.botInChat === false && !access.mayAddMembers ? joinDenied(access) : null;
}

/** What to do after Bitrix24 refused `attempt`. `preferred`: the way's own method. */
export function afterRefusal(
  attempt: ChangeAttempt,
  answer: Extract<AvatarChangeAnswer, { kind: 'refused' }>,
  access: ChatAccess,
  preferred: ChangeMethod,
): NextStep {
  const { step, error } = answer;
  const { method, join } = attempt;
  const again = attempt.tried < 2;
  const next = (changes: Pick<ChangeAttempt, 'method' | 'join'>): NextStep => ({
    kind: 'retry',
    attempt: { ...changes, tried: attempt.tried + 1 },
  });
  if (step === 'before' && error.code === 'ACCESS_ERROR')
    return fail(new AppError('NOT_CHAT_MEMBER', { detail: `im.dialog.get: ${error.description}`, cause: error }));
  if (step === 'join') return fail(joinDenied(access, error));
  // The change ran and its answer is in hand, but the link after it could not be read.
  if (step === 'after') return fail(new Bitrix24UnavailableError(`the avatar link after the change: ${error.code}`));
  if (step !== 'change') return fail(error);
  if (error.code === 'ERROR_METHOD_NOT_FOUND' && method === 'imbot.v2.Chat.update' && again)
    return {
      kind: 'retry',
      attempt: { method: 'imbot.chat.updateAvatar', join, tried: attempt.tried + 1 },
      methodMissing: method,
    };
  const view = answer.before ?? access.view;
  // imbot.chat.updateAvatar on current im: ACCESS_DENIED is the caller's right (canDo), never the bot's.
  if (method === 'imbot.chat.updateAvatar' && error.code === 'ACCESS_DENIED') return fail(userRefused(view, error));
  // WRONG_REQUEST "Chat isn't exists": the bot is not in the chat (both generations).
  if (method === 'imbot.chat.updateAvatar' && error.code === 'WRONG_REQUEST' && !join && again) {
    if (!access.mayAddMembers) return fail(joinDenied(access, error));
    return next({ method: preferred, join: true });
  }
  // imbot.v2.Chat.update answers ACCESS_DENIED both for a bot outside the chat and (as the
  // emulator reads it) for a caller who may not: the members, asked now, tell which.
  if (method === 'imbot.v2.Chat.update' && error.code === 'ACCESS_DENIED') {
    if (join || !again) return fail(userRefused(view, error));
    return { kind: 'recheck' };
  }
  if (method === 'im.chat.updateAvatar' && (error.code === 'ACCESS_DENIED' || error.code === 'WRONG_REQUEST'))
    return fail(userRefused(view, error));
  return fail(error);
}

/** After imbot.v2's ACCESS_DENIED and a fresh look at the chat (`fresh`). */
export function afterRecheck(
  attempt: ChangeAttempt,
  answer: Extract<AvatarChangeAnswer, { kind: 'refused' }>,
  access: ChatAccess,
  fresh: ChatAccess,
): DecidedStep {
  const view = answer.before ?? access.view;
  if (fresh.botInChat !== false) return fail(userRefused(view, answer.error));
  if (!fresh.mayAddMembers) return fail(joinDenied(fresh, answer.error));
  // The bot is outside: the change alone by the method that tells the caller from the bot, as
  // for a bot known to be outside; its WRONG_REQUEST then adds the bot.
  return { kind: 'retry', attempt: { method: 'imbot.chat.updateAvatar', join: false, tried: attempt.tried + 1 } };
}

const fail = (error: unknown): DecidedStep => ({ kind: 'fail', error });

export function joinDenied(access: ChatAccess, cause?: Bitrix24Error): AppError {
  return new AppError('BOT_JOIN_DENIED', {
    detail: cause ? `${cause.code}: ${cause.description}` : 'the user may not add members',
    // The page names who can add the bot, and offers the change as the user (no bot needed).
    fields: { owner: access.owner?.name ?? '', userWay: 'im.chat.updateAvatar' },
    cause,
  });
}

export function userRefused(view: ChatView, cause: Bitrix24Error): AppError {
  return new AppError((generationOf(view) === 'current' ? refusalFor(view) : null) ?? 'ACCESS_DENIED', {
    detail: `Bitrix24 refused the user: ${cause.code}`,
    cause,
  });
}

/** Bitrix24's refusals at its limits: the request, or the call, was not carried out. */
export const LIMIT_CODES: ReadonlySet<string> = new Set([
  'QUERY_LIMIT_EXCEEDED',
  'OVERLOAD_LIMIT',
  'OPERATION_TIME_LIMIT',
]);

/**
 * No answer, or Bitrix24 failing on its side (5xx other than its limits): the change may have
 * been made. Everything else is a refusal: nothing was changed.
 */
export function answerMayStillCome(error: unknown): boolean {
  if (error instanceof Bitrix24UnavailableError) return true;
  return error instanceof Bitrix24Error && error.status >= 500 && !LIMIT_CODES.has(error.code);
}
