import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Bitrix24UnavailableError } from './bitrix24-error';
import { egressRequest, EgressRequestError } from './egress-request';
import { isPublicAddress, publicOnlyLookup } from './public-address';
import { APP_USER_AGENT } from './user-agent';

/** What outbound calls to Bitrix24 and the OAuth server may do (docs/security.md, "Network calls the app makes"). */
export interface EgressPolicy {
  /** Answers longer than this are cut off and the call fails: a hostile portal cannot fill our memory. */
  readonly maxAnswerBytes: number;
  /**
   * Answers with more JSON values than this (or nested deeper than MAX_ANSWER_DEPTH) are refused
   * before they are parsed: 4 MB of `{}` would be 1.3 million objects, 14 MB of heap.
   */
  readonly maxAnswerValues?: number;
  /**
   * B24_ALLOW_HTTP_PORTALS: REST endpoints, and a portal rename, may lead to http:// and to
   * private addresses (the local emulator; an on-premise portal by DANGEROUSLY_ALLOW_HTTP_PORTALS_IN_PRODUCTION).
   */
  readonly allowPrivateNetworks: boolean;
  /** B24_PRIVATE_PORTAL_HOSTS: host names of on-premise portals that may resolve to private addresses. */
  readonly privateHosts?: readonly string[];
}

export const STRICT_EGRESS: EgressPolicy = Object.freeze({
  maxAnswerBytes: 4 * 1024 * 1024,
  allowPrivateNetworks: false,
});

/** Far more than any answer the app reads: 50 chats or users of a page with all their fields are a few thousand. */
export const MAX_ANSWER_VALUES = 100_000;
/** im.dialog.get's answer, the deepest the app reads, is five levels deep; batch adds two. */
export const MAX_ANSWER_DEPTH = 64;

/** May a call to `url` connect to a private address? Only by the settings that say so, or when its host is named. */
export function mayReachPrivate(url: URL, egress: EgressPolicy): boolean {
  if (egress.allowPrivateNetworks) return true;
  const named = egress.privateHosts ?? [];
  // A name allows the host on any port; `host:port` that port only.
  return named.includes(url.hostname.toLowerCase()) || named.includes(url.host.toLowerCase());
}

export interface JsonAnswer {
  status: number;
  body: unknown;
  /** Where the answer came from: differs from the URL asked when a renamed portal redirected us. */
  url: string;
}

// Keep-alive pools whose sockets are all connected through the public-only lookup: a pooled
// connection was checked when it was made, so it may be reused by calls that need the check.
const PUBLIC_HTTP = new http.Agent({ keepAlive: true, lookup: publicOnlyLookup() });
const PUBLIC_HTTPS = new https.Agent({ keepAlive: true, lookup: publicOnlyLookup() });

/**
 * POSTs a form (URLSearchParams) or a JSON object and answers parsed JSON. The URL always comes from configuration or the store,
 * never from a request. `signal` is the caller's whole deadline: it also stops a slow answer
 * half-way. No redirect is followed unless `followPortalRename` is set, and then only the one
 * a renamed portal sends (settings/how-to-call-rest-api/change-domen.md): the same REST path on
 * another host, re-sent as a POST (never turned into a GET), over https to a public address.
 */
export async function postForm(
  url: string,
  body: URLSearchParams | Record<string, unknown>,
  opts: {
    signal: AbortSignal;
    egress: EgressPolicy;
    followPortalRename?: boolean;
    /**
     * A REST endpoint of a portal (its address came from the OAuth server or the store): it must
     * be a public address, as a redirect's target must, unless the settings allow its host.
     */
    portalEndpoint?: boolean;
  },
): Promise<JsonAnswer> {
  const payload: Payload =
    body instanceof URLSearchParams
      ? { type: 'application/x-www-form-urlencoded', text: body.toString() }
      : { type: 'application/json', text: JSON.stringify(body) };
  const first = new URL(url);
  const firstPublicOnly = opts.portalEndpoint === true && !mayReachPrivate(first, opts.egress);
  let answer = await send(first, payload, opts.signal, opts.egress, firstPublicOnly);
  let at = first;
  if (answer.redirect !== null) {
    const target = opts.followPortalRename ? renameTarget(first, answer.redirect, opts.egress) : null;
    if (!target)
      throw new Bitrix24UnavailableError(
        `${first.origin} answered a redirect (HTTP ${answer.status}) that is not followed`,
      );
    answer = await send(target, payload, opts.signal, opts.egress, !mayReachPrivate(target, opts.egress));
    if (answer.redirect !== null)
      throw new Bitrix24UnavailableError(`${target.origin} answered a second redirect (HTTP ${answer.status})`);
    at = target;
  }
  const shape = jsonShape(answer.text);
  const maxValues = opts.egress.maxAnswerValues ?? MAX_ANSWER_VALUES;
  if (shape.values > maxValues || shape.depth > MAX_ANSWER_DEPTH)
    throw new Bitrix24UnavailableError(
      `answer from ${at.origin} holds ${shape.values} JSON values ${shape.depth} deep (at most ${maxValues}, ${MAX_ANSWER_DEPTH} deep)`,
    );
  try {
    return { status: answer.status, body: JSON.parse(answer.text) as unknown, url: at.href };
  } catch {
    throw new Bitrix24UnavailableError(`answer from ${at.origin} is not JSON (HTTP ${answer.status})`, {
      status: answer.status,
    });
  }
}

/**
 * How many values a JSON text holds and how deep it nests, read without parsing it: every
 * object, array and value after a `,` counts, whatever is inside strings does not. A text that
 * is not JSON is left to JSON.parse to refuse.
 */
export function jsonShape(text: string): { values: number; depth: number } {
  let values = text.trim() === '' ? 0 : 1;
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote, past escaped characters.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c) values++;
  }
  return { values, depth: deepest };
}

/** The new address of a renamed portal, or null when the redirect is anything else. */
function renameTarget(from: URL, location: string, egress: EgressPolicy): URL | null {
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    return null;
  }
  if (to.protocol !== 'https:' && !(egress.allowPrivateNetworks && to.protocol === 'http:')) return null;
  if (to.username || to.password || to.search || to.host === from.host) return null;
  // A rename moves the whole portal: the REST method keeps its path. Any other target (a
  // metadata URL, another service) is not a rename.
  if (to.pathname !== from.pathname) return null;
  const literal = to.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) && !mayReachPrivate(to, egress) && !isPublicAddress(literal)) return null;
  return to;
}

interface Payload {
  type: string;
  text: string;
}

interface RawAnswer {
  status: number;
  redirect: string | null;
  text: string;
}

async function send(
  url: URL,
  payload: Payload,
  signal: AbortSignal,
  egress: EgressPolicy,
  publicOnly: boolean,
): Promise<RawAnswer> {
  try {
    const answer = await egressRequest({
      url,
      method: 'POST',
      headers: {
        'content-type': payload.type,
        'content-length': Buffer.byteLength(payload.text),
        accept: 'application/json',
        // The one place every request to Bitrix24 and the OAuth server passes: all carry it.
        'user-agent': APP_USER_AGENT,
      },
      body: payload.text,
      signal,
      publicOnly,
      // A call that must reach a public address goes through agents whose every connection was
      // resolved by the public-only lookup (a socket of the global pool may never have been).
      agent: publicOnly ? (url.protocol === 'https:' ? PUBLIC_HTTPS : PUBLIC_HTTP) : undefined,
      maxBytes: egress.maxAnswerBytes,
    });
    return { status: answer.status, redirect: answer.redirect, text: answer.body.toString('utf8') };
  } catch (error) {
    if (!(error instanceof EgressRequestError)) throw error;
    switch (error.failure) {
      case 'stopped':
        throw deadlineError(url);
      case 'not_public_literal':
      case 'not_public':
        throw new Bitrix24UnavailableError(`request to ${url.host} refused: not a public address`, {
          cause: error.cause,
        });
      case 'too_large':
        throw new Bitrix24UnavailableError(`answer from ${url.origin} exceeds ${egress.maxAnswerBytes} bytes`);
      case 'broke_off':
        throw new Bitrix24UnavailableError(`answer from ${url.origin} broke off`);
      case 'failed': {
        const cause = error.cause as NodeJS.ErrnoException | undefined;
        throw new Bitrix24UnavailableError(`request to ${url.origin} failed: ${cause?.code ?? cause?.name}`, { cause });
      }
    }
  }
}

function deadlineError(url: URL): Bitrix24UnavailableError {
  return new Bitrix24UnavailableError(`call to ${url.origin} ran out of time`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
