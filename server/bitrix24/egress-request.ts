import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isPublicAddress, NonPublicAddressError } from './public-address';

// One HTTP exchange with a host outside the app, as every outbound call makes it: an address
// literal checked before connecting (a request to one makes no lookup), the public-only pools'
// refusal told apart from other failures, a redirect answered with its target and never its
// body, and an answer held to a size. Its callers (http-json.ts for Bitrix24 and the OAuth
// server, avatar-link.ts for a chat's picture) say each failure in their own words.

export const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Why an exchange gave no answer; `stopped` is the caller's signal, whatever the socket did meanwhile. */
export type EgressFailure = 'stopped' | 'not_public_literal' | 'not_public' | 'failed' | 'too_large' | 'broke_off';

export class EgressRequestError extends Error {
  constructor(
    readonly failure: EgressFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EgressRequestError';
  }
}

export interface EgressAnswer {
  status: number;
  /** A redirect's Location (its body is never read); null otherwise. */
  redirect: string | null;
  body: Buffer;
}

export function egressRequest(request: {
  url: URL;
  method: 'GET' | 'POST';
  headers: OutgoingHttpHeaders;
  body?: string;
  signal: AbortSignal;
  /** Every address connected to must be public: literals are checked here, names by the agent's lookup. */
  publicOnly: boolean;
  agent: http.Agent | undefined;
  maxBytes: number;
  /** Whether an answer of this status is worth reading; one that is not ends the exchange unread. */
  readsBodyOf?: (status: number) => boolean;
}): Promise<EgressAnswer> {
  const { url, signal } = request;
  return new Promise<EgressAnswer>((resolve, reject) => {
    const fail = (failure: EgressFailure, message: string, cause?: unknown) =>
      reject(new EgressRequestError(signal.aborted ? 'stopped' : failure, message, cause ? { cause } : undefined));
    if (signal.aborted) return fail('stopped', `${url.origin}: stopped before it began`);
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (request.publicOnly && isIP(literal) && !isPublicAddress(literal))
      return fail('not_public_literal', `${url.host} is not a public address`);
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, { method: request.method, headers: request.headers, signal, agent: request.agent });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof NonPublicAddressError || error.code === 'ENOTPUBLIC')
        fail('not_public', `${url.host} does not resolve to a public address`, error);
      else fail('failed', `${url.origin}: ${error.code ?? error.name}`, error);
    });
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECTS.has(status) && typeof location === 'string') {
        // A redirect's body is never wanted, and could be endless.
        res.destroy();
        return resolve({ status, redirect: location, body: Buffer.alloc(0) });
      }
      if (request.readsBodyOf && !request.readsBodyOf(status)) {
        res.destroy();
        return resolve({ status, redirect: null, body: Buffer.alloc(0) });
      }
      const tooLarge = () => fail('too_large', `${url.origin} answered more than ${request.maxBytes} bytes`);
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > request.maxBytes) {
        req.destroy();
        return tooLarge();
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > request.maxBytes) {
          req.destroy();
          tooLarge();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status, redirect: null, body: Buffer.concat(chunks) }));
      const brokeOff = () => fail('broke_off', `${url.origin} broke off`);
      res.on('close', () => {
        if (!res.complete) brokeOff();
      });
      res.on('error', brokeOff);
      res.on('aborted', brokeOff);
    });
    req.end(request.body);
  });
}
