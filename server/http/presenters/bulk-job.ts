import { isKnownCode, messageOf, type Lang } from '../../errors';
import type { BulkProgress } from '../../chats/bulk-jobs';
import type { BulkItem } from '../../store/bulk-jobs';

// The JSON of /api/bulk-jobs: a job's progress, and its chats with their verdicts and outcomes,
// each refusal as the sentence a single change would answer, in the user's language.

export interface BulkJobView {
  id: string;
  state: string;
  template: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Why the job waits, and until when (Bitrix24's limits, a change being checked). */
  waitingFor: string | null;
  nextRunAt: string | null;
  counts: {
    total: number;
    done: number;
    left: number;
    changed: number;
    refused: number;
    skipped: number;
    cancelled: number;
  };
  etaSeconds: number | null;
  /** The job this one takes back ("Undo all"), if it is one. */
  undoes: string | null;
  /** Until when "Undo all" can take this job back; null when it cannot. */
  undoUntil: string | null;
  /** The job that takes this one back, once "Undo all" was pressed. */
  undoneBy: string | null;
}

export interface BulkChatView {
  chatId: number;
  title: string;
  verdict: string;
  state: string;
  code: string | null;
  message: string | null;
  owner: string | null;
  notes: string[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function presentBulkProgress(
  { job, counts, etaSeconds, undoUntil, undoneBy }: BulkProgress,
  now = Date.now(),
): BulkJobView {
  return {
    id: job.id,
    state: job.state,
    template: job.template,
    createdAt: new Date(job.createdAt).toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    waitingFor: job.state === 'running' && job.nextRunAt > now ? job.waitingFor : null,
    nextRunAt: job.state === 'running' && job.nextRunAt > now ? iso(job.nextRunAt) : null,
    counts: {
      total: counts.total,
      done: counts.changed + counts.refused,
      left: counts.pending + counts.sending,
      changed: counts.changed,
      refused: counts.refused,
      skipped: counts.skipped,
      cancelled: counts.cancelled,
    },
    etaSeconds,
    undoes: job.undoes,
    undoUntil: iso(undoUntil),
    undoneBy,
  };
}

export function presentBulkChat(item: BulkItem, lang: Lang): BulkChatView {
  const owner = item.ownerName;
  return {
    chatId: item.chatId,
    title: item.title,
    verdict: item.verdict,
    state: item.state,
    code: item.code,
    message: item.code && isKnownCode(item.code) ? messageOf(item.code, lang, owner ? { owner } : undefined) : null,
    owner,
    notes: item.notes ? item.notes.split(' ') : [],
  };
}
