import type { AuditEntry } from './audit-entry';
import type { AvatarChangeOutcome } from './change-outcome';

// A change of many chats' avatars at once (server/chats/bulk-jobs.ts): the job and one row per
// chat. The job outlives the page that started it, a restart and its instance: it is claimed
// with a lease as the event work is (`claimed_by`, `claimed_until`), and only the holder of a
// live claim writes a chat's outcome, so two instances never send one chat's change twice.

/**
 * - `draft`: the dry run is made, nothing is sent; the page may still upload each chat's picture;
 * - `running`: sent as its turns come (`nextRunAt`);
 * - `paused`: stops before its next request until resumed;
 * - `cancelled`: stopped for good, the chats not sent are `cancelled`;
 * - `done`: every chat is changed or refused.
 */
export type BulkJobState = 'draft' | 'running' | 'paused' | 'cancelled' | 'done';

/** Where each chat's picture comes from: one for all, normalised once, or one per chat (made in the browser). */
export type BulkTemplate = 'picture' | 'per_chat';

/**
 * The dry run's verdict: `change`, `join_first` (the bot is outside and the user may add it),
 * `refused` (with the code a single change would answer).
 * A chat's state: `pending` (to be sent), `sending` (its request went out, its outcome not yet
 * written: after a lost answer or a lost instance it is settled from the chat's link),
 * `changed`, `refused`, `skipped` (refused by the dry run: never sent), `cancelled`.
 */
export type BulkVerdict = 'change' | 'join_first' | 'refused';
export type BulkItemState = 'pending' | 'sending' | 'changed' | 'refused' | 'skipped' | 'cancelled';

export interface BulkPicture {
  /** Base64 of the normalised image, as it is sent. */
  base64: string;
  bytes: number;
  width: number;
  height: number;
  /** An upload is normalised to PNG or JPEG; a picture put back by "Undo all" is sent as it was kept. */
  format: 'png' | 'jpeg' | 'gif' | 'webp';
}

export interface BulkJob {
  id: string;
  memberId: string;
  userId: number;
  userName: string | null;
  state: BulkJobState;
  template: BulkTemplate;
  /** The template's picture, once the job is started with one. */
  picture: BulkPicture | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Not run before this (Unix ms): Bitrix24's limits asked for a wait. */
  nextRunAt: number;
  /** What the last wait was for, when there was one (`QUERY_LIMIT_EXCEEDED`, …). */
  waitingFor: string | null;
  /** The job this one takes back ("Undo all": each chat's previous picture), or null. */
  undoes: string | null;
}

export interface BulkItem {
  jobId: string;
  chatId: number;
  /** The order the user picked the chats in. */
  position: number;
  /** The chat's title as the dry run read it (cut to 255 characters), for the result list. */
  title: string;
  verdict: BulkVerdict;
  state: BulkItemState;
  /** The refusal's code (the dry run's, or Bitrix24's at the change). */
  code: string | null;
  /** The chat's owner, named by a refused join. */
  ownerName: string | null;
  /** The check's answer (chat-permission.ts ChatAccess), JSON; null when refused. */
  access: string | null;
  /** When the check was made (Unix ms): an answer a minute old is asked again before sending. */
  checkedAt: number;
  /** The link the change replaced, and the one it left (im-dialog-get.md's `avatar`). */
  avatarBefore: string | null;
  avatarAfter: string | null;
  /** This chat's own picture, for a `per_chat` template. */
  picture: BulkPicture | null;
  /** How the change was made (`via_bot_v2`, `bot_joined`, …), space-separated. */
  notes: string;
  /** When its request went out (Unix ms), while `sending`. */
  sentAt: number | null;
}

export type NewBulkItem = Pick<
  BulkItem,
  'chatId' | 'position' | 'title' | 'verdict' | 'code' | 'ownerName' | 'access' | 'checkedAt' | 'avatarBefore'
> &
  /** Its own picture from the start (an "Undo all" job's chat gets its previous one back); why it was not kept, as notes. */
  Partial<Pick<BulkItem, 'picture' | 'notes'>>;

export interface BulkCounts {
  total: number;
  pending: number;
  sending: number;
  changed: number;
  refused: number;
  skipped: number;
  cancelled: number;
}

/** A chat's outcome, written while the claim `by` holds. */
export type BulkItemOutcome =
  | {
      kind: 'changed';
      chatId: number;
      avatarBefore: string;
      avatarAfter: string;
      notes: string[];
      /** What was sent, for the change's record among the app's others (avatar-changes.ts). */
      sent: AvatarChangeOutcome;
      /** The audit entry, written in the same transaction (one per chat changed, tied to the job). */
      audit: AuditEntry;
    }
  | { kind: 'refused'; chatId: number; code: string; ownerName: string | null; audit: AuditEntry }
  /** Not sent after all (Bitrix24's limits, the queue): back to pending. */
  | { kind: 'pending'; chatId: number }
  /** Checked again before sending: a fresh answer. */
  | { kind: 'checked'; chatId: number; access: string; checkedAt: number; avatarBefore: string };

/** A job as the audit log groups its entries: what it was, who ran it, when, and how its chats ended. */
export interface BulkJobAuditSummary {
  id: string;
  /** The job's template, or null once the job itself is pruned (its audit entries stay for the log's retention). */
  template: BulkTemplate | null;
  /** The job it took back ("Undo all"), if it did. */
  undoes: string | null;
  userId: number;
  userName: string | null;
  /** Its first and last audit entries' times. */
  from: Date;
  to: Date;
  changed: number;
  refused: number;
}

export interface BulkJobClaim {
  /** Names this attempt; a fresh random value each time. */
  by: string;
  now: number;
  leaseMs: number;
  /** Only this job (one just started or resumed). */
  id?: string;
}

export interface BulkJobRecords {
  /**
   * A new draft job with its dry run: one item per chat; answers its id. A job that takes back
   * another (`undoes`) is not made when one that is not cancelled already does: that one's id.
   */
  create(
    job: Pick<BulkJob, 'id' | 'memberId' | 'userId' | 'userName' | 'template' | 'createdAt'> &
      Partial<Pick<BulkJob, 'undoes'>>,
    items: NewBulkItem[],
  ): Promise<string>;
  find(memberId: string, id: string): Promise<BulkJob | null>;
  /** The newest job that takes back `id` ("Undo all"), if any. */
  findUndoOf(memberId: string, id: string): Promise<BulkJob | null>;
  /** A user's jobs, newest first. */
  list(memberId: string, userId: number, limit: number): Promise<BulkJob[]>;
  counts(id: string): Promise<BulkCounts>;
  /** Items in the order the user picked them. */
  items(id: string, opts: { offset: number; limit: number; states?: BulkItemState[] }): Promise<BulkItem[]>;
  /** A draft's chat gets its own picture; false when the job is no draft or has no such chat. */
  setItemPicture(id: string, chatId: number, picture: BulkPicture): Promise<boolean>;
  /**
   * A draft starts: `running`, with its template's picture; its refused chats are `skipped`.
   * False when it is no draft, or a `per_chat` job has chats without a picture.
   */
  start(id: string, picture: BulkPicture | null, at: number): Promise<boolean>;
  /** `running` ⇄ `paused`, or `cancelled` (its chats not yet sent, `cancelled`); answers the state it is in after. */
  setState(id: string, to: 'running' | 'paused' | 'cancelled', at: number): Promise<BulkJobState | null>;
  /** Atomically takes one running job that is due and not under another live claim. */
  claim(claim: BulkJobClaim): Promise<BulkJob | null>;
  /** The claim lasts until `until`; false when it was lost (taken over, or the job is no longer running). */
  extendClaim(id: string, by: string, until: number): Promise<boolean>;
  /** Gives the claim back; the job is due again at `nextRunAt` (waiting for `waitingFor`). */
  release(id: string, by: string, nextRunAt: number, waitingFor: string | null): Promise<void>;
  /** Items to send next: pending, in order. */
  next(id: string, limit: number): Promise<BulkItem[]>;
  /**
   * These pending items are about to be sent, and the claim is renewed to `now + leaseMs`, so it
   * outlasts their request; false (and nothing written) when the claim is lost or the job is no
   * longer running (paused, cancelled).
   */
  markSending(id: string, by: string, chatIds: number[], now: number, leaseMs: number): Promise<boolean>;
  /** Writes one chat's outcome (and its audit entry); false when the claim was lost. */
  settle(id: string, by: string, outcome: BulkItemOutcome, now: number): Promise<boolean>;
  /** Every item still pending or sending, no longer: the job is `done`. False when the claim was lost. */
  finish(id: string, by: string, at: number): Promise<boolean>;
  /** The jobs of these ids that have audit entries on this portal, each counted over all its entries. */
  auditSummaries(memberId: string, ids: string[]): Promise<BulkJobAuditSummary[]>;
  /** Deletes drafts older than `draftsBefore` and finished jobs older than `finishedBefore`; answers how many. */
  prune(draftsBefore: number, finishedBefore: number): Promise<number>;
}
