// Admission of uploads by the memory their bodies take, with a short FIFO queue (issue 12) and
// per-user and per-portal slot caps (issue 10, item 3). Knows nothing of HTTP: the gate in
// upload-gate.ts turns requests into claims and answers for it.

export interface AdmissionLimits {
  /** Bytes of request bodies admitted at once (each reserved by its Content-Length or its limit). */
  budgetBytes: number;
  /** Uploads admitted at once, whatever their size: tiny bodies still cost a socket and a decode. */
  maxInFlight: number;
  slotsPerUser: number;
  slotsPerPortal: number;
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

export function createUploadAdmission(limits: AdmissionLimits): UploadAdmission {
  let bytes = 0;
  let inFlight = 0;
  const perUser = new Map<string, number>();
  const perPortal = new Map<string, number>();
  const queue: Waiter[] = [];

  const bump = (map: Map<string, number>, key: string, by: number) => {
    const next = (map.get(key) ?? 0) + by;
    if (next === 0) map.delete(key);
    else map.set(key, next);
  };
  const withinOwnCaps = (c: Claim) =>
    (perUser.get(c.user) ?? 0) < limits.slotsPerUser && (perPortal.get(c.portal) ?? 0) < limits.slotsPerPortal;
  const roomFor = (c: Claim) => inFlight < limits.maxInFlight && bytes + c.bytes <= limits.budgetBytes;

  function take(claim: Claim): () => void {
    bytes += claim.bytes;
    inFlight++;
    bump(perUser, claim.user, 1);
    bump(perPortal, claim.portal, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      bytes -= claim.bytes;
      inFlight--;
      bump(perUser, claim.user, -1);
      bump(perPortal, claim.portal, -1);
      pump();
    };
  }

  /**
   * First come, first served for the shared budget: a request that waits for memory holds back
   * everyone behind it, or a stream of small uploads would starve a large one forever. A request
   * that waits only because its own user or portal is at its cap is passed over, so one busy tab
   * never delays another user.
   */
  function pump() {
    for (let i = 0; i < queue.length;) {
      const waiter = queue[i]!;
      if (!withinOwnCaps(waiter.claim)) {
        i++;
        continue;
      }
      if (!roomFor(waiter.claim)) break;
      queue.splice(i, 1);
      waiter.settle({ ok: true, release: take(waiter.claim) });
    }
  }

  return {
    admit(claim, signal, longer) {
      if (signal?.aborted) return Promise.resolve({ ok: false, reason: 'cancelled' });
      return new Promise<Admission>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const onAbort = () => leave('cancelled');
        const waiter: Waiter = {
          claim,
          settle: (admission) => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            resolve(admission);
          },
        };
        const leave = (reason: 'queue-full' | 'timeout' | 'cancelled') => {
          const index = queue.indexOf(waiter);
          if (index === -1) return;
          queue.splice(index, 1);
          waiter.settle({ ok: false, reason });
          // A request leaving the head of the queue may unblock the ones behind it.
          pump();
        };
        queue.push(waiter);
        pump();
        if (!queue.includes(waiter)) return;
        const queuedByUser = queue.reduce((n, w) => n + (w.claim.user === claim.user ? 1 : 0), 0);
        if (queue.length > limits.queueLength || queuedByUser > limits.queuedPerUser) return leave('queue-full');
        const longest = Date.now() + limits.queueWaitMs + (longer?.upToMs ?? 0);
        const expire = () => {
          const left = longest - Date.now();
          if (left > 0 && longer?.still()) timer = setTimeout(expire, Math.min(LONGER_WAIT_CHECK_MS, left));
          else leave('timeout');
        };
        timer = setTimeout(expire, limits.queueWaitMs);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    stats: () => ({ bytes, inFlight, queued: queue.length }),
  };
}
