import session from 'express-session';
import type { SessionRecords } from '../store/store';

/** express-session on top of the app's own store (SQLite or PostgreSQL), not the MemoryStore. */
export class StoreSessionStore extends session.Store {
  constructor(
    private readonly records: SessionRecords,
    private readonly defaultTtlMs: number,
  ) {
    super();
  }

  private expiry(data: session.SessionData): Date {
    const expires = data.cookie?.expires;
    return expires ? new Date(expires) : new Date(Date.now() + this.defaultTtlMs);
  }

  override get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): void {
    this.records.get(sid).then((data) => callback(null, (data as session.SessionData | null) ?? null), callback);
  }

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    this.records.set(sid, data, this.expiry(data)).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.records.destroy(sid).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override touch(sid: string, data: session.SessionData, callback?: () => void): void {
    this.records.touch(sid, this.expiry(data)).then(
      () => callback?.(),
      () => callback?.(),
    );
  }
}
