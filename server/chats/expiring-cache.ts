// A cache of what a portal answered, held by bytes and by age. Its values come from the portal
// (chat titles, avatar links), so a count alone does not bound it: 2000 pages of chats whose
// titles were 3 MB each would be 6 GB. Entries are dropped when their time is up, not only
// ignored: a timer takes the oldest away when nobody asks any more.

export interface ExpiringCache<V> {
  /** The value, while it is younger than the time to live; an older one is dropped and undefined answered. */
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  /** Replaces a held value, keeping its time (no-op when absent or expired). */
  replace(key: string, value: V): void;
  delete(key: string): void;
  /** Drops every entry whose key starts with `prefix`. */
  deleteByPrefix(prefix: string): void;
  /** Entries held and their estimated bytes (for tests and metrics). */
  stats(): { entries: number; bytes: number };
}

/** Estimated bytes of a string in V8 (two a character, the worst case) and an object's overhead. */
export const stringBytes = (text: string | null | undefined) => (text ? 2 * text.length : 0);
export const OBJECT_BYTES = 64;

export function createExpiringCache<V>(opts: {
  ttlMs: number;
  maxBytes: number;
  maxEntries: number;
  /** The value's estimated size in bytes; the key's is added. */
  sizeOf: (value: V) => number;
  now?: () => number;
}): ExpiringCache<V> {
  const now = opts.now ?? Date.now;
  // Insertion order is age order: every set re-inserts its key with the time of the set.
  const entries = new Map<string, { at: number; value: V; bytes: number }>();
  let bytes = 0;
  let timer: NodeJS.Timeout | null = null;

  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.bytes;
  };
  const expired = (at: number, t: number) => t - at >= opts.ttlMs;
  const dropExpired = () => {
    const t = now();
    for (const [key, entry] of entries) {
      if (!expired(entry.at, t)) break;
      remove(key);
    }
  };
  const schedule = () => {
    if (timer !== null) return;
    const oldest = entries.values().next().value;
    if (!oldest) return;
    timer = setTimeout(
      () => {
        timer = null;
        dropExpired();
        schedule();
      },
      Math.max(0, oldest.at + opts.ttlMs - now()) + 10,
    );
    // The cache never keeps the process alive.
    timer.unref();
  };

  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (expired(entry.at, now())) {
        remove(key);
        return undefined;
      }
      return entry.value;
    },
    set(key, value) {
      remove(key);
      dropExpired();
      const size = OBJECT_BYTES + stringBytes(key) + opts.sizeOf(value);
      // A value larger than the whole cache is not kept at all.
      if (size > opts.maxBytes) return;
      while (entries.size > 0 && (bytes + size > opts.maxBytes || entries.size >= opts.maxEntries))
        remove(entries.keys().next().value as string);
      entries.set(key, { at: now(), value, bytes: size });
      bytes += size;
      schedule();
    },
    replace(key, value) {
      const entry = entries.get(key);
      if (!entry || expired(entry.at, now())) return;
      const size = OBJECT_BYTES + stringBytes(key) + opts.sizeOf(value);
      if (bytes - entry.bytes + size > opts.maxBytes) return remove(key);
      bytes += size - entry.bytes;
      entry.value = value;
      entry.bytes = size;
    },
    delete: remove,
    deleteByPrefix(prefix) {
      for (const key of [...entries.keys()]) if (key.startsWith(prefix)) remove(key);
    },
    stats: () => ({ entries: entries.size, bytes }),
  };
}
