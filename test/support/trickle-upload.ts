import { request as httpRequest } from 'node:http';

// An avatar upload whose body declares a large file and sends it slowly: what a client that
// wants to hold the upload memory does. For the tests and the benchmark of fair admission.

export interface Trickled {
  /** The app's answer, or 'gone' when the client gave up (or was told to stop) first. */
  status: number | 'gone';
  code: string;
  ms: number;
}

const BOUNDARY = 'trickle';

/**
 * Declares `declared` bytes of file in a multipart body and sends them at `bytesPerSecond`,
 * 1 KB at a time, until the app answers, `giveUpMs` has passed or `signal` aborts.
 */
export function trickleUpload(opts: {
  appUrl: string;
  token: string;
  chatId: number;
  declared: number;
  bytesPerSecond: number;
  giveUpMs?: number;
  signal?: AbortSignal;
}): Promise<Trickled> {
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="avatar"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const url = new URL(opts.appUrl);
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Omit<Trickled, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearInterval(drip);
      clearTimeout(giveUp);
      opts.signal?.removeEventListener('abort', stop);
      req.destroy();
      resolve({ ...result, ms: Date.now() - started });
    };
    const stop = () => done({ status: 'gone', code: '' });
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: `/api/chats/${opts.chatId}/avatar`,
        method: 'POST',
        headers: {
          authorization: `Bearer ${opts.token}`,
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          'content-length': head.length + opts.declared + tail.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          let code = '';
          try {
            code = (JSON.parse(Buffer.concat(chunks).toString()) as { error?: { code?: string } }).error?.code ?? '';
          } catch {
            // not JSON: the status says enough
          }
          done({ status: res.statusCode!, code });
        });
      },
    );
    req.on('error', stop);
    req.write(head);
    const piece = Buffer.alloc(1024, 0x55);
    const drip = setInterval(
      () => {
        if (!req.destroyed) req.write(piece);
      },
      1000 / (opts.bytesPerSecond / 1024),
    );
    const giveUp = setTimeout(stop, opts.giveUpMs ?? 40_000);
    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener('abort', stop, { once: true });
  });
}
