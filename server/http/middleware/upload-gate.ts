import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { UPLOAD_ENVELOPE_BYTES, UPLOAD_GRACE_MS, type Config } from '../../../app.config';
import { AppError, messageOf } from '../../errors';
import { requestLang } from './i18n';
import { createUploadAdmission, type AdmissionLimits } from './upload-admission';

declare module 'express-serve-static-core' {
  interface Request {
    /** Aborted when the client goes away (or is cut off) before it has its answer. */
    uploadSignal?: AbortSignal;
  }
}

export interface UploadGateOptions extends AdmissionLimits {
  /** Multipart boundaries, part headers and the small crop field, on top of the file's limit. */
  envelopeBytes: number;
  /**
   * The pace a body must keep, judged on its average since admission after `graceMs`: at least
   * `minBytesPerSecond`, and at least its own size over `bodyMs` less the grace, so that every
   * body has arrived `bodyMs` after its admission. Behind the pace it is cut with 408.
   */
  minBytesPerSecond: number;
  graceMs: number;
  bodyMs: number;
  /** How often the pace is checked. */
  paceCheckMs?: number;
  retryAfterSeconds: number;
  /** Whose upload this is and how large its file may be (the portal's own limit). */
  identify: (req: Request) => { user: string; portal: string; maxFileBytes: number };
  /** A slot whose client left is released after this even if the work never reports its end. */
  abandonedReleaseMs?: number;
  log?: Pick<Logger, 'info' | 'warn'>;
  /**
   * How long a call to the portal (`identify`'s `portal`) made now would wait for its turn at
   * Bitrix24 (call-pacer.ts). While that is more than nothing, the portal's slots are held by
   * changes waiting in that queue, and they leave it at Bitrix24's pace: an upload of the portal
   * waits for a slot as long as that lasts, up to `busyPortalWaitMs` past `queueWaitMs`.
   */
  portalQueueWaitMs?: (portal: string) => number;
  busyPortalWaitMs?: number;
  /** Told how long each upload waited for admission, and whether it got in (metrics). */
  onAdmission?: (admission: { admitted: boolean; waitSeconds: number }) => void;
}

/** The gate of /api uploads with the settings of app.config.ts. */
export function uploadGateOptions(uploads: Config['uploads'], log?: UploadGateOptions['log']): UploadGateOptions {
  return {
    budgetBytes: uploads.memoryBytes,
    maxInFlight: uploads.maxInFlight,
    slotsPerUser: uploads.slotsPerUser,
    slotsPerPortal: uploads.slotsPerPortal,
    bytesPerUser: uploads.memoryPerUserBytes,
    bytesPerPortal: uploads.memoryPerPortalBytes,
    queueLength: uploads.queueLength,
    // One user may wait with a quarter of the queue at most, so one tab cannot fill it.
    queuedPerUser: Math.max(1, Math.floor(uploads.queueLength / 4)),
    queueWaitMs: uploads.queueWaitMs,
    envelopeBytes: UPLOAD_ENVELOPE_BYTES,
    minBytesPerSecond: uploads.minBytesPerSecond,
    graceMs: UPLOAD_GRACE_MS,
    bodyMs: uploads.bodyMs,
    retryAfterSeconds: 2,
    identify: identifyUploader,
    log,
  };
}

/** Who holds an upload slot inside /api: the app token's user on the app token's portal. */
export function identifyUploader(req: Request) {
  const memberId = req.portal?.memberId ?? req.auth?.memberId ?? '?';
  return {
    user: `${memberId}:${req.auth?.userId ?? '?'}`,
    portal: memberId,
    maxFileBytes: req.portalSettings?.maxUploadBytes ?? 0,
  };
}

/**
 * Admits an upload only when its body fits the memory budget (see upload-admission.ts), so a
 * burst waits a moment instead of being refused, and only a full queue or a long wait answers
 * 503 with Retry-After. Once admitted:
 * - the slot is held until the answer is written, even when the client has gone: its body may
 *   still be queued for decoding, and freeing the slot at once would let abandoned uploads pile
 *   up unbounded. `req.uploadSignal` tells that work to stop;
 * - a body that falls behind its pace is cut, or a few slow clients would hold the memory for
 *   minutes: at least `minBytesPerSecond`, and for a large body its size over `bodyMs`, the time
 *   Node's requestTimeout keeps for a body after the longest check and admission (compose.ts).
 *   A body slower than that is one Node may cut too, after it has held its memory all along.
 */
export function createUploadGate(opts: UploadGateOptions) {
  const admission = createUploadAdmission(opts);
  const abandonedReleaseMs = opts.abandonedReleaseMs ?? 120_000;

  const gate = async (req: Request, res: Response, next: NextFunction) => {
    const who = opts.identify(req);
    const limit = who.maxFileBytes + opts.envelopeBytes;
    const declaredHeader = req.headers['content-length'];
    const declared = declaredHeader === undefined ? null : Number(declaredHeader);
    if (declared !== null && declared > limit) {
      // Discard the refused body as it streams in (nothing is buffered), so the client reads
      // the answer instead of a reset connection.
      req.resume();
      return next(new AppError('FILE_TOO_LARGE', { detail: `Content-Length ${declared} above ${limit}` }));
    }
    // Without a length (chunked), the worst case is reserved: the file limit caps what multer keeps.
    const bytes = declared ?? limit;

    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) gone.abort(new AppError('CLIENT_GONE'));
    });
    const waitStarted = Date.now();
    const queueWait = opts.portalQueueWaitMs;
    const admitted = await admission.admit(
      { user: who.user, portal: who.portal, bytes },
      gone.signal,
      queueWait && { still: () => queueWait(who.portal) > 0, upToMs: opts.busyPortalWaitMs ?? 0 },
    );
    opts.onAdmission?.({ admitted: admitted.ok, waitSeconds: (Date.now() - waitStarted) / 1000 });
    if (!admitted.ok) {
      if (admitted.reason === 'cancelled') return; // the client left while waiting: nobody to answer
      req.resume();
      return next(
        new AppError('SERVER_BUSY', {
          detail: `upload ${admitted.reason} (${JSON.stringify(admission.stats())})`,
          retryAfterSeconds: opts.retryAfterSeconds,
        }),
      );
    }

    let watch: NodeJS.Timeout | undefined;
    let abandoned: NodeJS.Timeout | undefined;
    const release = () => {
      clearInterval(watch);
      clearTimeout(abandoned);
      admitted.release();
    };
    if (gone.signal.aborted) return release();
    // The answer is the last thing the route does, so writing it means the work has ended.
    const end = res.end;
    res.end = function (this: Response, ...args: unknown[]) {
      release();
      return (end as (...a: unknown[]) => Response).apply(this, args);
    } as Response['end'];
    gone.signal.addEventListener('abort', () => {
      clearInterval(watch);
      abandoned = setTimeout(() => {
        opts.log?.warn(
          { requestId: req.requestId, path: req.path },
          'upload slot of a closed connection released by timeout',
        );
        release();
      }, abandonedReleaseMs).unref();
    });
    req.uploadSignal = gone.signal;

    // Judged on the average since admission, not window by window: a body may pause as long
    // as it keeps ahead of its pace. Bytes read before admission wait in the request's buffer.
    const admittedAt = Date.now();
    const readAtAdmission = (req.socket?.bytesRead ?? 0) - req.readableLength;
    const pace = Math.max(opts.minBytesPerSecond, (bytes * 1000) / Math.max(1, opts.bodyMs - opts.graceMs));
    watch = setInterval(() => {
      if (req.complete || !req.socket) return clearInterval(watch);
      const received = req.socket.bytesRead - readAtAdmission;
      const due = Math.min(bytes, (pace * (Date.now() - admittedAt - opts.graceMs)) / 1000);
      if (received >= due) return;
      clearInterval(watch);
      opts.log?.info(
        { requestId: req.requestId, path: req.path, received, due: Math.ceil(due), declared: declared ?? undefined },
        'upload too slow: cut',
      );
      gone.abort(new AppError('UPLOAD_TOO_SLOW'));
      if (res.headersSent) return req.destroy();
      res
        .status(408)
        .set('Connection', 'close')
        .json({ error: { code: 'UPLOAD_TOO_SLOW', message: messageOf('UPLOAD_TOO_SLOW', requestLang(req)) } });
      // The rest of the body is not worth reading: close once the answer is out.
      res.once('finish', () => req.socket?.destroy());
    }, opts.paceCheckMs ?? 1000).unref();
    next();
  };
  return Object.assign(gate, { stats: admission.stats });
}
