import type { Logger } from 'pino';
import type { Portal } from '../store/store';
import type { ChatPermission } from './chat-permission';

// A change whose answer never came (the deadline passed, the connection dropped, Bitrix24
// answered 5xx) is not a failure: Bitrix24 may have made it. It is settled from the chat's
// avatar link (im-dialog-get.md): a link that the changes of others the app knows do not
// explain means it was made (avatar-changes.ts madeSince); the same link, or one they explain,
// after the whole window means it was not. Asked a few times, further
// apart each time: Bitrix24 finishes a slow request on its own time (a PHP request runs on
// after its client has gone).

/** When to look after sending, in ms: about 40 s in all. */
export const SETTLE_SCHEDULE_MS = [2_000, 4_000, 8_000, 12_000, 14_000];
export const SETTLE_WINDOW_MS = SETTLE_SCHEDULE_MS.reduce((sum, ms) => sum + ms, 0);

/** `unknown`: Bitrix24 could not be read at the end either; a later retry of the change asks again. */
export type Settled = 'made' | 'not_made' | 'unknown';

export interface ChangeToSettle {
  portal: Portal;
  userId: number;
  chatId: number;
  /** The link the change replaced. */
  avatarBefore: string;
}

/**
 * Resolves when the change is known made or not made; never rejects. A look that fails (Bitrix24
 * still down) counts as "not yet", and the last one decides only when it answered.
 */
export function settleChange(
  deps: {
    permission: ChatPermission;
    log: Logger;
    scheduleMs?: number[];
    /** Does the chat's link now show this change made, beside the changes of others the app knows? */
    madeSince: (avatarBefore: string, current: string) => Promise<boolean>;
  },
  change: ChangeToSettle,
): Promise<Settled> {
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
  return (async () => {
    let answered = false;
    for (const wait of deps.scheduleMs ?? SETTLE_SCHEDULE_MS) {
      await sleep(wait);
      try {
        const { avatar } = await deps.permission.checkNow(change.portal, change.userId, change.chatId);
        if (await deps.madeSince(change.avatarBefore, avatar)) return 'made';
        answered = true;
      } catch (error) {
        answered = false;
        deps.log.info(
          { memberId: change.portal.memberId, chatId: change.chatId, err: error },
          'avatar change not settled yet: the chat could not be read',
        );
      }
    }
    return answered ? 'not_made' : 'unknown';
  })();
}
