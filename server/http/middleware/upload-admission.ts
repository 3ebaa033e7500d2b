// Admission of uploads by the memory their bodies take, fair across portals: no
// portal, however many users or however large its own size limit, can keep another portal's
// uploads waiting for long. Knows nothing of HTTP: the gate in upload-gate.ts turns requests
// into claims and answers for it.
//
// Three rules make it fair:
// - caps in bytes (and in uploads) per user and per portal, beside the total: a portal's
//   administrator may raise its file limit, but the portal still holds at most `bytesPerPortal`,
//   which is half the budget by default, so one portal alone always leaves room for another;
// - who gets freed memory next: the waiting portal that holds the least, then within it the
//   user who holds the least (max-min fairness), taking turns between equals, then the earliest.
//   A portal that has nothing in flight is first in line whatever another portal has queued, so
//   its first upload waits at most until enough of what is in flight ends: one upload's time,
//   which the gate bounds by holding every body to its pace;
// - a full queue sheds the newest upload of the portal with the most waiting, not the newcomer
//   of a portal with fewer, so one portal cannot fill the queue against the others either.

export interface AdmissionLimits {
  /** Bytes of request bodies admitted at once (each reserved by its Content-Length or its limit). */
  budgetBytes: number;
  /** Uploads admitted at once, whatever their size: tiny bodies still cost a socket and a decode. */
  maxInFlight: number;
  slotsPerUser: number;
  slotsPerPortal: number;
  /** Bytes one user, one portal, may hold at once (at least one upload of the largest size). */
  bytesPerUser: number;
  bytesPerPortal: number;
  /** Requests waiting at once, all users together, and per user. */
  queueLength: number;
  queuedPerUser: number;
  /** How long a request may wait for room before it is answered 503. */
  queueWaitMs: number;
}

export interface Claim {
  user: string;
  portal: string;
  bytes: number;
}

export type Admission =
  { ok: true; release: () => void } | { ok: false; reason: 'queue-full' | 'timeout' | 'cancelled' };

interface Waiter {
  claim: Claim;
  /** Arrival order, the last tie-breaker of who goes first. */
  seq: number;
  settle: (admission: Admission) => void;
}

/** A request that may wait longer than `queueWaitMs`: up to `upToMs` more, while `still()` holds. */
export interface LongerWait {
  still: () => boolean;
  upToMs: number;
}

export interface UploadAdmission {
  admit(claim: Claim, signal?: AbortSignal, longer?: LongerWait): Promise<Admission>;
  stats(): { bytes: number; inFlight: number; queued: number };
}

/** How often a request waiting longer asks whether it still may. */
const LONGER_WAIT_CHECK_MS = 1000;

/** Lexicographic order of two ranks of equal length. */
function before(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

interface Held {
  bytes: number;
  count: number;
}

export function createUploadAdmission(limits: AdmissionLimits): UploadAdmission {
  let bytes = 0;
  let inFlight = 0;
  let arrivals = 0;
  const perUser = new Map<string, Held>();
  const perPortal = new Map<string, Held>();
  const queue: Waiter[] = [];
  /** When each portal and user (keys `p:`, `u:`) last had an upload admitted, while it has any held or waiting. */
  const lastTurn = new Map<string, number>();
  let turns = 0;

  const heldBy = (map: Map<string, Held>, key: string): Held => map.get(key) ?? { bytes: 0, count: 0 };
  const bump = (map: Map<string, Held>, key: string, claimBytes: number, by: 1 | -1) => {
    const held = heldBy(map, key);
    const next = { bytes: held.bytes + by * claimBytes, count: held.count + by };
    if (next.count === 0) map.delete(key);
    else map.set(key, next);
  };
  // A claim larger than a cap (only under settings below one upload of the largest size) still
  // gets in once its holder holds nothing, or it would wait for ever.
  const fits = (held: Held, claim: Claim, maxBytes: number, maxCount: number) =>
    held.count < maxCount && (held.count === 0 || held.bytes + claim.bytes <= maxBytes);
  const withinOwnCaps = (c: Claim) =>
    fits(heldBy(perUser, c.user), c, limits.bytesPerUser, limits.slotsPerUser) &&
    fits(heldBy(perPortal, c.portal), c, limits.bytesPerPortal, limits.slotsPerPortal);
  const roomFor = (c: Claim) => inFlight < limits.maxInFlight && bytes + c.bytes <= limits.budgetBytes;

  function take(claim: Claim): () => void {
    bytes += claim.bytes;
    inFlight++;
    bump(perUser, claim.user, claim.bytes, 1);
    bump(perPortal, claim.portal, claim.bytes, 1);
    turns++;
    lastTurn.set(`p:${claim.portal}`, turns);
    lastTurn.set(`u:${claim.user}`, turns);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      bytes -= claim.bytes;
      inFlight--;
      bump(perUser, claim.user, claim.bytes, -1);
      bump(perPortal, claim.portal, claim.bytes, -1);
      forgetIfIdle(claim);
      pump();
    };
  }

  /** A portal or user with nothing held or waiting comes back as a newcomer. */
  function forgetIfIdle(claim: Claim) {
    if (!perPortal.has(claim.portal) && !queue.some((w) => w.claim.portal === claim.portal))
      lastTurn.delete(`p:${claim.portal}`);
    if (!perUser.has(claim.user) && !queue.some((w) => w.claim.user === claim.user)) lastTurn.delete(`u:${claim.user}`);
  }

  /**
   * The upload whose turn it is, among those within their own caps: its portal holds the fewest
   * bytes, or as few as another's and had its last turn longer ago (round robin); then the same
   * for its user inside the portal; then the earliest. Those at their own caps are passed over:
   * one busy tab or portal never delays anyone else.
   */
  function nextInLine(): Waiter | undefined {
    let best: { waiter: Waiter; rank: number[] } | undefined;
    for (const waiter of queue) {
      const { portal, user } = waiter.claim;
      if (!withinOwnCaps(waiter.claim)) continue;
      const rank = [
        heldBy(perPortal, portal).bytes,
        lastTurn.get(`p:${portal}`) ?? 0,
        heldBy(perUser, user).bytes,
        lastTurn.get(`u:${user}`) ?? 0,
        waiter.seq,
      ];
      if (!best || before(rank, best.rank)) best = { waiter, rank };
    }
    return best?.waiter;
  }

  /**
   * Freed memory goes to the upload whose turn it is, and to nobody else until it fits: a
   * stream of small uploads from portals holding more would starve a large one for ever.
   */
  function pump() {
    for (;;) {
      const waiter = nextInLine();
      if (!waiter || !roomFor(waiter.claim)) return;
      queue.splice(queue.indexOf(waiter), 1);
      waiter.settle({ ok: true, release: take(waiter.claim) });
    }
  }

  const queuedOf = (portal: string) => queue.reduce((n, w) => n + (w.claim.portal === portal ? 1 : 0), 0);

  /** The portal with the most uploads waiting (the earliest to have one, of those with as many). */
  function mostQueuedPortal(): string | undefined {
    const counts = new Map<string, number>();
    for (const w of queue) counts.set(w.claim.portal, (counts.get(w.claim.portal) ?? 0) + 1);
    let most: string | undefined;
    for (const [portal, count] of counts) if (most === undefined || count > counts.get(most)!) most = portal;
    return most;
  }

  return {
    admit(claim, signal, longer) {
      if (signal?.aborted) return Promise.resolve({ ok: false, reason: 'cancelled' });
      return new Promise<Admission>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const onAbort = () => leave(waiter, 'cancelled');
        const waiter: Waiter = {
          claim,
          seq: arrivals++,
          settle: (admission) => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            resolve(admission);
          },
        };
        queue.push(waiter);
        pump();
        if (!queue.includes(waiter)) return;
        const queuedByUser = queue.reduce((n, w) => n + (w.claim.user === claim.user ? 1 : 0), 0);
        if (queuedByUser > limits.queuedPerUser) return leave(waiter, 'queue-full');
        if (queue.length > limits.queueLength) {
          // The queue is full: the portal with the most waiting gives up its newest, unless that
          // is the newcomer's own portal or has no more waiting than it.
          const crowded = mostQueuedPortal()!;
          if (crowded === claim.portal || queuedOf(crowded) <= queuedOf(claim.portal))
            return leave(waiter, 'queue-full');
          const newest = [...queue].reverse().find((w) => w.claim.portal === crowded)!;
          leave(newest, 'queue-full');
        }
        const longest = Date.now() + limits.queueWaitMs + (longer?.upToMs ?? 0);
        const expire = () => {
          const left = longest - Date.now();
          if (left > 0 && longer?.still()) timer = setTimeout(expire, Math.min(LONGER_WAIT_CHECK_MS, left));
          else leave(waiter, 'timeout');
        };
        timer = setTimeout(expire, limits.queueWaitMs);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    stats: () => ({ bytes, inFlight, queued: queue.length }),
  };

  function leave(waiter: Waiter, reason: 'queue-full' | 'timeout' | 'cancelled') {
    const index = queue.indexOf(waiter);
    if (index === -1) return;
    queue.splice(index, 1);
    waiter.settle({ ok: false, reason });
    forgetIfIdle(waiter.claim);
    // A request leaving may have been the one whose turn it was: the next may fit.
    pump();
  }
}
