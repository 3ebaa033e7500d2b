import { AppError } from '../errors';

/**
 * Admits decodes against a process-wide memory budget and a count (one decode per core): each
 * decode reserves its estimated cost (decode-cost.ts) before it starts and gives it back when it
 * ends. Waiting is first come, first served: a large decode at the head is not overtaken by a
 * stream of small ones, so it cannot starve. The queue needs no bound of its own: the upload
 * gate bounds the uploads in flight, and each holds at most one place here.
 */
export interface DecodeAdmission {
  /** Runs `task` once `bytes` fit; refuses at once what could never fit (IMAGE_TOO_COSTLY). */
  run<T>(bytes: number, task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Bytes reserved by running decodes, and decodes waiting (for tests and the log). */
  usage(): { reservedBytes: number; running: number; waiting: number };
}

interface Waiter {
  bytes: number;
  start: () => void;
}

export function createDecodeAdmission(opts: {
  budgetBytes: number;
  perImageBytes: number;
  concurrency: number;
}): DecodeAdmission {
  let reserved = 0;
  let running = 0;
  const queue: Waiter[] = [];

  const fits = (bytes: number) => running < opts.concurrency && reserved + bytes <= opts.budgetBytes;
  const drain = () => {
    while (queue.length > 0 && fits(queue[0]!.bytes)) queue.shift()!.start();
  };

  return {
    async run(bytes, task, signal) {
      if (bytes > opts.perImageBytes) {
        throw new AppError('IMAGE_TOO_COSTLY', {
          detail: `needs ~${mb(bytes)} MB to decode, one image may use ${mb(opts.perImageBytes)} MB`,
        });
      }
      signal?.throwIfAborted();
      if (queue.length > 0 || !fits(bytes)) {
        await new Promise<void>((resolve, reject) => {
          const waiter: Waiter = {
            bytes,
            start: () => {
              signal?.removeEventListener('abort', onAbort);
              reserve();
              resolve();
            },
          };
          // A client that hung up gives its place back before its decode ever starts.
          const onAbort = () => {
            const index = queue.indexOf(waiter);
            if (index >= 0) queue.splice(index, 1);
            drain();
            reject(signal!.reason);
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          queue.push(waiter);
        });
      } else {
        reserve();
      }
      try {
        return await task();
      } finally {
        reserved -= bytes;
        running--;
        drain();
      }

      function reserve() {
        reserved += bytes;
        running++;
      }
    },
    usage: () => ({ reservedBytes: reserved, running, waiting: queue.length }),
  };
}

const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));
