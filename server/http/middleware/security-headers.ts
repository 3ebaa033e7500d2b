import helmet from 'helmet';
import type { Response } from 'express';

// helmet sends the usual headers; the Content-Security-Policy is ours because its
// frame-ancestors differs per page: the app page may be framed only by the portal that opened
// it, everything else by nobody. X-Frame-Options is off: it cannot name one allowed origin,
// and CSP frame-ancestors supersedes it.
export function securityHeaders(opts: { https: boolean }) {
  return helmet({
    contentSecurityPolicy: false,
    frameguard: false,
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-site' },
    strictTransportSecurity: opts.https ? { maxAge: 15552000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
  });
}

export function contentSecurityPolicy(opts: { frameAncestors: string[]; imageOrigins?: string[] }): string {
  const images = ["'self'", 'data:', 'blob:', ...(opts.imageOrigins ?? [])].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${images}`,
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${opts.frameAncestors.length > 0 ? opts.frameAncestors.join(' ') : "'none'"}`,
  ].join('; ');
}

/**
 * `portalOrigin`: the verified portal that may frame the page; null: nobody; 'any': a page with
 * one sentence and no action (a failure shown before the portal is known), harmless to frame.
 */
export function setPageSecurity(
  res: Response,
  opts: {
    portalOrigin: string | null | 'any';
    /** http:// hosts that serve chat avatars too (B24_AVATAR_HOSTS where http is allowed: the emulator's CDN). */
    avatarOrigins?: readonly string[];
  },
) {
  const origins = opts.portalOrigin === 'any' ? ['*'] : opts.portalOrigin ? [opts.portalOrigin] : [];
  // Chat avatars come from Bitrix24's CDN (https://cdn….bitrix24.…, a host per region and TLD
  // that no list keeps up with) or, on premise, from the portal itself: any https image may load.
  // An image cannot run code; scripts, styles and connections stay 'self'.
  res.set(
    'Content-Security-Policy',
    contentSecurityPolicy({
      frameAncestors: origins,
      imageOrigins: opts.portalOrigin === 'any' ? [] : ['https:', ...origins, ...(opts.avatarOrigins ?? [])],
    }),
  );
  res.set('Cache-Control', 'no-store');
}
