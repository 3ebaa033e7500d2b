import type { Logger } from 'pino';
import type { NewRequestLogEntry, RequestLogRecords } from '../store/request-log';
import { redactForLog } from './request-redaction';

// The request log's writer: every request to a portal's REST API or to the OAuth server, and
// its answer, as the clients saw them, redacted here (request-redaction.ts), buffered, and
// written to the database in one insert a second. Writing never holds up a call and never fails
// one: a database that cannot take the log loses those entries, and says so in the log.

/** One request and its answer, as a client made it: the parameters as sent, the answer as parsed. */
export interface RequestExchange {
  memberId: string;
  userId: number | null;
  target: 'rest' | 'oauth';
  method: string;
  /** The parameters as sent (a form or an object), secrets included: redacted before they are kept. */
  params: unknown;
  status: number | null;
  outcome: string;
  /** The answer as parsed, or null when none came. */
  answer: unknown;
  startedAt: number;
  ms: number;
}

/** Where the clients report each exchange; the app's is `createRequestLog`, a test's may be anything. */
export interface RequestLog {
  record(exchange: RequestExchange): void;
}

export interface RequestLogWriter extends RequestLog {
  /** Writes what is buffered now (tests, the export, shutdown). */
  flush(): Promise<void>;
  /**
   * A portal whose data was deleted (a clean uninstall): its entries still buffered, and those of
   * its requests still under way (the uninstall's own confirmation among them), are dropped for
   * a while, and what was written meanwhile is deleted.
   */
  forget(memberId: string): Promise<void>;
  /** Stops the timer and writes what is buffered. */
  stop(): Promise<void>;
}

/** A request or answer longer than this (as JSON text) is kept as its first part, and its length. */
export const MAX_LOGGED_JSON_CHARS = 64 * 1024;
/** How long a forgotten portal's late entries are dropped: longer than any call may take (B24_TIMEOUT_MS and the queue's wait). */
const FORGET_MS = 5 * 60_000;
/** Entries waiting to be written at most; beyond, new ones are dropped (and counted in the log) until a write catches up. */
const MAX_BUFFERED = 5000;
const FLUSH_EVERY_MS = 1000;
const FLUSH_AT = 200;

/** JSON text of a value, cut to `MAX_LOGGED_JSON_CHARS` as `{cut, chars, start}` when longer. */
export function loggedJson(value: unknown): string {
  const text = JSON.stringify(value ?? null);
  if (text.length <= MAX_LOGGED_JSON_CHARS) return text;
  return JSON.stringify({ cut: true, chars: text.length, start: text.slice(0, MAX_LOGGED_JSON_CHARS / 2) });
}

export function toLogEntry(exchange: RequestExchange): NewRequestLogEntry {
  return {
    memberId: exchange.memberId,
    userId: exchange.userId,
    at: new Date(exchange.startedAt),
    target: exchange.target,
    method: exchange.method,
    status: exchange.status,
    outcome: exchange.outcome,
    ms: exchange.ms,
    request: loggedJson(redactForLog(exchange.params)),
    answer: exchange.answer === null ? null : loggedJson(redactForLog(exchange.answer)),
  };
}

export function createRequestLog(deps: {
  records: RequestLogRecords;
  log: Logger;
  now?: () => number;
}): RequestLogWriter {
  const now = deps.now ?? Date.now;
  let buffer: NewRequestLogEntry[] = [];
  /** Portals forgotten, until when their entries are dropped. */
  const forgotten = new Map<string, number>();
  let dropped = 0;
  let writing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const write = (): Promise<void> => {
    if (buffer.length === 0) return writing;
    const entries = buffer;
    buffer = [];
    // One write at a time, in order; a failure loses these entries only.
    writing = writing.then(() =>
      deps.records.add(entries).catch((error: unknown) => {
        deps.log.warn(
          { count: entries.length, err: error instanceof Error ? error.message : String(error) },
          'request log entries could not be written',
        );
      }),
    );
    return writing;
  };
  const schedule = () => {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = null;
      void write();
    }, FLUSH_EVERY_MS);
    timer.unref();
  };

  return {
    record(exchange) {
      const until = forgotten.get(exchange.memberId);
      if (until !== undefined) {
        if (now() < until) return;
        forgotten.delete(exchange.memberId);
      }
      if (buffer.length >= MAX_BUFFERED) {
        if (dropped++ === 0) deps.log.warn('request log is behind: entries dropped until it catches up');
        return;
      }
      if (dropped > 0) {
        deps.log.warn({ dropped }, 'request log caught up');
        dropped = 0;
      }
      let entry: NewRequestLogEntry;
      try {
        entry = toLogEntry(exchange);
      } catch (error) {
        deps.log.warn({ method: exchange.method, err: String(error) }, 'request log entry could not be made');
        return;
      }
      buffer.push(entry);
      if (buffer.length >= FLUSH_AT) void write();
      else schedule();
    },
    flush: () => write(),
    async forget(memberId) {
      forgotten.set(memberId, now() + FORGET_MS);
      buffer = buffer.filter((entry) => entry.memberId !== memberId);
      await writing;
      const deleted = await deps.records.deletePortal(memberId);
      if (deleted > 0) deps.log.info({ memberId, deleted }, 'request log of a portal deleted with its data');
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await write();
    },
  };
}
