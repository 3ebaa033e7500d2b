import type { Dialect } from './dialect';

// Every request the app made to Bitrix24 and the OAuth server, with its answer, kept for support
// (server/bitrix24/request-log.ts writes it, already redacted): "Solutions making requests to
// the Bitrix24 REST API from the server must keep logs of API requests and responses for at
// least the last 3 days" (market/preparing-to-publish/common-requirements.md).

export interface NewRequestLogEntry {
  memberId: string;
  /** The user whose token the request carried; null for the OAuth server. */
  userId: number | null;
  at: Date;
  target: 'rest' | 'oauth';
  method: string;
  /** The HTTP status of the answer; null when none came. */
  status: number | null;
  /** `ok`, Bitrix24's error code, `unavailable` or `timeout`. */
  outcome: string;
  ms: number;
  /** JSON text of the parameters sent, redacted. */
  request: string;
  /** JSON text of the answer, redacted; null when none came. */
  answer: string | null;
}

export interface RequestLogEntry extends NewRequestLogEntry {
  id: number;
}

export interface RequestLogRecords {
  add(entries: NewRequestLogEntry[]): Promise<void>;
  /** A portal's entries with `from <= at < to`, oldest first, `limit` of them after the entry `afterId` (0: from the first). */
  page(memberId: string, range: { from: Date; to: Date }, afterId: number, limit: number): Promise<RequestLogEntry[]>;
  /** Deletes the entries of every portal older than `before`; answers how many. */
  prune(before: Date): Promise<number>;
  /** Deletes every entry of one portal (after a clean uninstall); answers how many. */
  deletePortal(memberId: string): Promise<number>;
}

export function requestLogRecords(d: Dialect): RequestLogRecords {
  const { db } = d;
  return {
    async add(entries) {
      if (entries.length === 0) return;
      await db
        .insertInto('request_log')
        .values(
          entries.map((entry) => ({
            member_id: entry.memberId,
            user_id: entry.userId,
            at: d.time(entry.at.getTime()),
            target: entry.target,
            method: entry.method,
            status: entry.status,
            outcome: entry.outcome,
            ms: Math.round(entry.ms),
            request: entry.request,
            answer: entry.answer,
          })),
        )
        .execute();
    },
    async page(memberId, range, afterId, limit) {
      // Entries of one time are read in id order: a page ends at an id, the next starts after it.
      const rows = await db
        .selectFrom('request_log')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('at', '>=', d.time(range.from.getTime()))
        .where('at', '<', d.time(range.to.getTime()))
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        id: Number(row.id),
        memberId: row.member_id,
        userId: row.user_id,
        at: new Date(row.at),
        target: row.target,
        method: row.method,
        status: row.status,
        outcome: row.outcome,
        ms: row.ms,
        request: row.request,
        answer: row.answer,
      }));
    },
    async deletePortal(memberId) {
      const { numDeletedRows } = await db
        .deleteFrom('request_log')
        .where('member_id', '=', memberId)
        .executeTakeFirst();
      return Number(numDeletedRows);
    },
    async prune(before) {
      const { numDeletedRows } = await db
        .deleteFrom('request_log')
        .where('at', '<', d.time(before.getTime()))
        .executeTakeFirst();
      return Number(numDeletedRows);
    },
  };
}
