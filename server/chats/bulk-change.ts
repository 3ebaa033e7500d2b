import type { Logger } from 'pino';
import { AppError } from '../errors';
import { callBatch, MAX_BATCH_CALLS, type BatchAnswer, type BatchCall } from '../bitrix24/batch';
import { Bitrix24UnavailableError, type Bitrix24Error } from '../bitrix24/bitrix24-error';
import { toAppError } from '../bitrix24/error-mapping';
import type { PortalClients } from '../bitrix24/portal-clients';
import type { Portal } from '../store/store';
import { changeCalls, readChangeAnswer, type ChangeMethod, type ChangeStep } from './avatar-change-batch';
import type { BulkPermission } from './bulk-permission';
import {
  afterRecheck,
  afterRefusal,
  answerMayStillCome,
  firstAttempt,
  joinKnownDenied,
  LIMIT_CODES,
  type ChangeAttempt,
  type ChangeWay,
  type DecidedStep,
} from './change-rules';
import type { ChatAccess } from './chat-permission';
import type { BotChangeMethods } from './update-chat-avatar';

// Many chats' avatars changed at once, by the rules of one change (change-rules.ts) and with its
// calls (avatar-change-batch.ts), but many chats to a request: each round packs the chats'
// calls into batches of up to 50 (settings/how-to-call-rest-api/batch.md), without `halt`, so one
// chat's refusal does not stop the others (a chat's own later calls do run: a refused join is
// followed by a change that fails too, which the reading of its answers accounts for). Each
// chat's link before is the one its permission check read, so only the join, the change and the
// link after go per chat. A chat that needs another attempt (imbot.v2 missing, the bot outside)
// goes in the next round, with the others that need one.

/** A chat to change: what its check found, and the picture it gets. */
export interface BulkTarget {
  chatId: number;
  access: ChatAccess;
  /** Base64 of the normalised image. */
  avatar: string;
  way: ChangeWay;
}

export type BulkOutcome =
  | { chatId: number; kind: 'changed'; before: string; after: string; joined: boolean; method: ChangeMethod }
  /** Refused, with the reason a single change would give. */
  | { chatId: number; kind: 'refused'; error: AppError }
  /** Not sent: Bitrix24's limits stopped it. To be sent again after `retryAfterSeconds`. */
  | { chatId: number; kind: 'later'; error: AppError; retryAfterSeconds: number }
  /** Sent, and its answer (or the link after it) never came: settled later from the chat's link. */
  | { chatId: number; kind: 'unknown'; error: unknown }
  /** Refused without a change (imbot.v2 missing, the bot outside): sent again in the next round. */
  | { chatId: number; kind: 'again' };

export interface BulkChangeHooks {
  /** Just before a request that may change these chats goes out. */
  sending(chatIds: number[]): Promise<void>;
  /** Each chat's outcome, as soon as it is known. */
  settled(outcome: BulkOutcome): Promise<void>;
}

export interface BulkChange {
  /**
   * Changes `targets` as the user, reporting each outcome through `hooks`. Throws (an AppError)
   * when a request fails as a whole before reaching Bitrix24 (its limits, a lost sign-in): the
   * chats it held were not sent and have no outcome.
   */
  changeMany(
    portal: Portal,
    userId: number,
    targets: BulkTarget[],
    hooks: BulkChangeHooks,
    opts?: { signal?: AbortSignal },
  ): Promise<void>;
}

interface InFlight {
  target: BulkTarget;
  attempt: ChangeAttempt;
  /** The way's own method. */
  preferred: ChangeMethod;
}

/** Calls per chat: the join when it goes, the change, the link after. */
const callsOf = (chat: InFlight) => (chat.attempt.join ? 3 : 2);

/** The chats' calls in requests of up to 50, a chat's calls never split. */
export function packRequests<T>(chats: T[], callsOf: (chat: T) => number): T[][] {
  const requests: T[][] = [];
  let current: T[] = [];
  let calls = 0;
  for (const chat of chats) {
    const needed = callsOf(chat);
    if (calls + needed > MAX_BATCH_CALLS && current.length > 0) {
      requests.push(current);
      current = [];
      calls = 0;
    }
    current.push(chat);
    calls += needed;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

export function createBulkChange(deps: {
  clients: PortalClients;
  bulkPermission: BulkPermission;
  methods: BotChangeMethods;
  clientId: string;
  log: Logger;
}): BulkChange {
  return {
    async changeMany(portal, userId, targets, hooks, opts) {
      const rest = await deps.clients.forOwner(portal, userId, opts);
      const botMethod = targets.some((t) => t.way === 'bot') ? await deps.methods.methodFor(portal) : null;
      let round: InFlight[] = [];
      for (const target of targets) {
        const known = joinKnownDenied(target.way, target.access);
        if (known) {
          await hooks.settled({ chatId: target.chatId, kind: 'refused', error: known });
          continue;
        }
        const preferred: ChangeMethod = target.way === 'user' ? 'im.chat.updateAvatar' : botMethod!;
        round.push({ target, preferred, attempt: firstAttempt(target.way, target.access, preferred) });
      }
      let missingReported = false;
      while (round.length > 0) {
        const next: InFlight[] = [];
        const rechecks: Array<{ chat: InFlight; refused: Parameters<typeof afterRecheck>[1] }> = [];
        const follow = async (chat: InFlight, step: DecidedStep): Promise<void> => {
          const { chatId } = chat.target;
          if (step.kind === 'retry') {
            if (step.methodMissing && !missingReported) {
              missingReported = true;
              await deps.methods.methodMissing(portal, step.methodMissing);
            }
            next.push({ ...chat, attempt: step.attempt });
            // Nothing was changed: should the next round not go (the job paused), it is to be sent.
            return hooks.settled({ chatId, kind: 'again' });
          }
          // The change was sent and its link after could not be read: it may have been made.
          if (step.error instanceof Bitrix24UnavailableError)
            return hooks.settled({ chatId, kind: 'unknown', error: step.error });
          const error = toAppError(step.error);
          await hooks.settled({
            chatId,
            kind: 'refused',
            error: error instanceof AppError ? error : new AppError('INTERNAL', { detail: String(error) }),
          });
        };
        for (const request of packRequests(round, callsOf)) {
          const calls: Record<string, BatchCall> = {};
          for (const { target, attempt } of request) {
            const steps = changeCalls(
              {
                chatId: target.chatId,
                avatar: target.avatar,
                method: attempt.method,
                botId: portal.botId,
                clientId: deps.clientId,
                join: attempt.join,
              },
              { before: false },
            );
            for (const [step, call] of Object.entries(steps)) calls[`${step}${target.chatId}`] = call;
          }
          await hooks.sending(request.map((chat) => chat.target.chatId));
          let answer: BatchAnswer;
          try {
            answer = await callBatch(rest, calls, { halt: false });
          } catch (error) {
            if (!answerMayStillCome(error)) throw toAppError(error);
            for (const chat of request) await hooks.settled({ chatId: chat.target.chatId, kind: 'unknown', error });
            continue;
          }
          for (const chat of request) {
            const { chatId } = chat.target;
            const of = <T>(map: Record<string, T>) => {
              const steps: Partial<Record<ChangeStep, T>> = {};
              for (const step of ['join', 'change', 'after'] as const)
                if (`${step}${chatId}` in map) steps[step] = map[`${step}${chatId}`];
              return steps;
            };
            const read = readChangeAnswer(
              of(answer.results),
              of<Bitrix24Error>(answer.errors),
              chat.target.access.view,
            );
            if (read.kind === 'sent') {
              const before = chat.target.access.avatar;
              const after = read.after.avatar ?? '';
              // The single change's rule: a success whose link stayed is not reported as done.
              if (after === before)
                await hooks.settled({
                  chatId,
                  kind: 'refused',
                  error: new AppError('CHANGE_NOT_VISIBLE', {
                    detail: `${chat.attempt.method} answered, the avatar link stayed`,
                  }),
                });
              else
                await hooks.settled({
                  chatId,
                  kind: 'changed',
                  before,
                  after,
                  joined: chat.attempt.join,
                  method: chat.attempt.method,
                });
              continue;
            }
            if (read.step === 'change' && LIMIT_CODES.has(read.error.code)) {
              const error = toAppError(read.error) as AppError;
              await hooks.settled({ chatId, kind: 'later', error, retryAfterSeconds: error.retryAfterSeconds ?? 60 });
              continue;
            }
            const step = afterRefusal(chat.attempt, read, chat.target.access, chat.preferred);
            if (step.kind === 'recheck') rechecks.push({ chat, refused: read });
            else await follow(chat, step);
          }
        }
        if (rechecks.length > 0) {
          const fresh = await deps.bulkPermission.checkMany(
            portal,
            userId,
            rechecks.map((r) => r.chat.target.chatId),
            opts,
          );
          for (const { chat, refused } of rechecks) {
            const access = fresh.get(chat.target.chatId)?.access;
            if (access === undefined || access instanceof AppError)
              await follow(chat, { kind: 'fail', error: access ?? refused.error });
            else await follow(chat, afterRecheck(chat.attempt, refused, chat.target.access, access));
          }
        }
        round = next;
      }
      deps.log.debug({ memberId: portal.memberId, userId, chats: targets.length }, 'bulk change sent');
    },
  };
}
