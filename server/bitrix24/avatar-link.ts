import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { mayReachPrivate, type EgressPolicy } from './http-json';
import { egressRequest, EgressRequestError, type EgressFailure } from './egress-request';
import { publicOnlyLookup } from './public-address';

// A chat's avatar, read from the link im.dialog.get gives ("Link to the chat avatar",
// api-reference/chats/im-dialog-get.md), so the picture a change replaces can be kept. The link
// is the portal's word, so it is followed only where Bitrix24 serves chat avatars: the portal's
// own host (on-premise: `/upload/resize_cache/im/…`), or the cloud's CDN, which the documentation's
// answers show as `cdn.com.bitrix24.com` (im-recent-list.md, chat-bots/outdated/chats/
// imbot-dialog-get.md: `https://cdn.com.bitrix24.com/b17053/resize_cache/…/im/…`) and
// `cdn-com.bitrix24.com` (chats/chat-users/im-dialog-users-list.md). Every address connected to is
// public (the checks of public-address.ts), the answer is held to a size and a deadline, and no
// cookie or token is ever sent with it.

/** What a link may be followed to (docs/security.md, "Network calls the app makes"). */
export interface AvatarLinkPolicy {
  /** http:// links, as the emulator serves them; https only otherwise (and always in production). */
  readonly allowHttp: boolean;
  /** B24_AVATAR_HOSTS: host names (or host:port) that also serve a portal's chat avatars. */
  readonly extraHosts: readonly string[];
  /** Whose addresses may be private: the portal's own REST rule (B24_ALLOW_HTTP_PORTALS, B24_PRIVATE_PORTAL_HOSTS). */
  readonly egress: EgressPolicy;
  /** AVATAR_LINK_MAX_BYTES: a longer answer is cut off. */
  readonly maxBytes: number;
  /** AVATAR_LINK_TIMEOUT_MS: the whole fetch, redirects included. */
  readonly timeoutMs: number;
}

/** Why a link was not followed or gave no picture: the history says it to the user. */
export type AvatarLinkRefusal =
  'link_not_allowed' | 'not_public' | 'unreachable' | 'too_slow' | 'too_large' | 'http_error' | 'too_many_redirects';

export class AvatarLinkError extends Error {
  constructor(
    readonly reason: AvatarLinkRefusal,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AvatarLinkError';
  }
}

/**
 * Bitrix24's cloud CDN, by the names its documentation shows (`cdn.com.bitrix24.com`,
 * `cdn-com.bitrix24.com`): `cdn`, a region label, then a `bitrix24` domain, over https on its
 * default port (`cdn-ru.bitrix24.ru` is the same naming for another region). Any other host that
 * serves a portal's avatars is named in B24_AVATAR_HOSTS.
 */
const CLOUD_CDN_HOST = /^cdn[.-][a-z]{2,4}\.bitrix24\.(?:[a-z]{2,3}|com\.[a-z]{2})$/;

export function isBitrix24CdnHost(hostname: string): boolean {
  return CLOUD_CDN_HOST.test(hostname.toLowerCase());
}

/** A redirect is followed to a host the link itself could name, at most this often. */
const MAX_REDIRECTS = 2;

/** The link as a URL (a relative one is the portal's own), or why it is not followed. */
export function avatarLinkTarget(
  link: string,
  portalEndpoint: string,
  policy: Pick<AvatarLinkPolicy, 'allowHttp' | 'extraHosts'>,
): URL | AvatarLinkRefusal {
  const portal = new URL(portalEndpoint);
  let url: URL;
  try {
    url = new URL(link, portal.origin);
  } catch {
    return 'link_not_allowed';
  }
  return allowedTarget(url, portal, policy) ? url : 'link_not_allowed';
}

function allowedTarget(url: URL, portal: URL, policy: Pick<AvatarLinkPolicy, 'allowHttp' | 'extraHosts'>): boolean {
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) return false;
  // Credentials in a link would be sent as an Authorization header.
  if (url.username || url.password) return false;
  const host = url.host.toLowerCase();
  const hostname = url.hostname.toLowerCase();
  if (host === portal.host.toLowerCase()) return true;
  if (url.protocol === 'https:' && url.port === '' && isBitrix24CdnHost(hostname)) return true;
  return policy.extraHosts.includes(host) || policy.extraHosts.includes(hostname);
}

export interface AvatarLinkFetcher {
  /**
   * The bytes the link answers, or an AvatarLinkError saying why there are none. `signal` ends
   * the fetch early (the change it serves has been answered).
   */
  fetch(link: string, opts: { portalEndpoint: string; signal?: AbortSignal }): Promise<{ bytes: Buffer; url: string }>;
}

export function createAvatarLinkFetcher(deps: {
  policy: AvatarLinkPolicy;
  /** DNS, for tests that make a name resolve to a private address. */
  lookup?: typeof dnsLookup;
}): AvatarLinkFetcher {
  const { policy } = deps;
  const lookup = publicOnlyLookup(deps.lookup ?? dnsLookup);
  // Pools whose every connection was resolved by the public-only lookup (http-json.ts does the same).
  const publicAgents = {
    'http:': new http.Agent({ keepAlive: true, lookup }),
    'https:': new https.Agent({ keepAlive: true, lookup }),
  };
  const namedAgents = deps.lookup
    ? { 'http:': new http.Agent({ lookup: deps.lookup }), 'https:': new https.Agent({ lookup: deps.lookup }) }
    : null;

  return {
    async fetch(link, { portalEndpoint, signal }) {
      const portal = new URL(portalEndpoint);
      const target = avatarLinkTarget(link, portalEndpoint, policy);
      if (typeof target === 'string') throw new AvatarLinkError(target, `link to ${hostOf(link)} is not followed`);
      const deadline = AbortSignal.timeout(policy.timeoutMs);
      const stop = signal ? AbortSignal.any([signal, deadline]) : deadline;
      let url = target;
      for (let redirects = 0; ; redirects++) {
        const answer = await get(url, stop, deadline);
        if (answer.redirect === null) return { bytes: answer.bytes, url: url.href };
        if (redirects >= MAX_REDIRECTS)
          throw new AvatarLinkError('too_many_redirects', `${url.origin} redirected ${redirects + 1} times`);
        let next: URL;
        try {
          next = new URL(answer.redirect, url);
        } catch {
          throw new AvatarLinkError('link_not_allowed', `${url.origin} redirected to a link that is not a URL`);
        }
        // A redirect is held to the rules of the link itself: a CDN cannot send the app elsewhere.
        if (!allowedTarget(next, portal, policy))
          throw new AvatarLinkError('link_not_allowed', `${url.origin} redirected to ${next.host}, not followed`);
        url = next;
      }
    },
  };

  async function get(
    url: URL,
    stop: AbortSignal,
    deadline: AbortSignal,
  ): Promise<{ redirect: string; bytes: null } | { redirect: null; bytes: Buffer }> {
    const publicOnly = !mayReachPrivate(url, policy.egress);
    const protocol = url.protocol as 'http:' | 'https:';
    let answer;
    try {
      answer = await egressRequest({
        url,
        method: 'GET',
        headers: { accept: 'image/*' },
        signal: stop,
        publicOnly,
        agent: publicOnly ? publicAgents[protocol] : (namedAgents?.[protocol] ?? undefined),
        maxBytes: policy.maxBytes,
        readsBodyOf: (status) => status === 200,
      });
    } catch (error) {
      if (!(error instanceof EgressRequestError)) throw error;
      const reason: Record<EgressFailure, AvatarLinkRefusal> = {
        stopped: deadline.aborted ? 'too_slow' : 'unreachable',
        not_public_literal: 'not_public',
        not_public: 'not_public',
        failed: 'unreachable',
        too_large: 'too_large',
        broke_off: 'unreachable',
      };
      const message =
        error.failure !== 'stopped'
          ? error.message
          : deadline.aborted
            ? `${url.origin} did not answer within ${policy.timeoutMs} ms`
            : `fetch of ${url.origin} stopped`;
      throw new AvatarLinkError(reason[error.failure], message, { cause: error.cause });
    }
    if (answer.redirect !== null) return { redirect: answer.redirect, bytes: null };
    if (answer.status !== 200) throw new AvatarLinkError('http_error', `${url.origin} answered HTTP ${answer.status}`);
    return { redirect: null, bytes: answer.body };
  }
}

function hostOf(link: string): string {
  try {
    return new URL(link).host || 'a relative link';
  } catch {
    return 'a link that is not a URL';
  }
}
