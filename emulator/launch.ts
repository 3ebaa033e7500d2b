import { randomToken, type PortalState } from './state';
import type { TokenIssuer } from './tokens';

export interface LaunchForm {
  /** Full URL, with the query string Bitrix24 adds: DOMAIN, PROTOCOL, LANG, APP_SID. */
  url: string;
  /** The POST body. */
  fields: Record<string, string>;
}

export interface LaunchOptions {
  userId: number;
  placement?: string;
  placementOptions?: Record<string, unknown>;
  /** A Bitrix24 interface language code (ru, de, la, ua, …); en when not given. */
  lang?: string;
}

export interface LaunchDeps {
  portal: PortalState;
  issuer: TokenIssuer;
  clientId: string;
  appUrl: string;
  oauthUrl: string;
  scope: string;
}

/**
 * What the portal posts into the app's iframe (settings/oauth/simple-way.md): the install page
 * while the app is not installed (installation-master.md), the app or the placement's handler
 * afterwards (widgets/im/sidebar.md). Each launch is a fresh token pair for that user.
 */
export function buildLaunch(deps: LaunchDeps, opts: LaunchOptions): { form: LaunchForm; appSid: string } {
  const { portal } = deps;
  if (!portal.users.has(opts.userId)) throw new Error(`no user ${opts.userId} on this portal`);
  const pair = deps.issuer.issuePair({ memberId: portal.memberId, userId: opts.userId, clientId: deps.clientId });
  portal.stats.launchGrants++;
  const placement = opts.placement ?? 'DEFAULT';
  let target = portal.installed ? `${deps.appUrl}/` : `${deps.appUrl}/install`;
  if (portal.installed && placement !== 'DEFAULT') {
    const bound = portal.placements.find((p) => p.name === placement && p.appId === deps.clientId);
    if (bound) target = bound.handler;
  }
  // APP_SID: new each time the app is rendered; it ties the frame's messages to this launch.
  const appSid = randomToken();
  portal.frames.set(appSid, { userId: opts.userId, placement });
  const url = new URL(target);
  url.searchParams.set('DOMAIN', `${portal.host}:${portal.port}`);
  url.searchParams.set('PROTOCOL', '0');
  url.searchParams.set('LANG', opts.lang ?? 'en');
  url.searchParams.set('APP_SID', appSid);
  const fields: Record<string, string> = {
    AUTH_ID: pair.accessToken,
    AUTH_EXPIRES: String(pair.expiresIn),
    REFRESH_ID: pair.refreshToken,
    SERVER_ENDPOINT: `${deps.oauthUrl}/rest/`,
    APPLICATION_TOKEN: portal.applicationToken,
    APPLICATION_SCOPE: deps.scope,
    member_id: portal.memberId,
    status: 'L',
    PLACEMENT: placement,
  };
  if (placement !== 'DEFAULT' || opts.placementOptions)
    fields.PLACEMENT_OPTIONS = JSON.stringify(opts.placementOptions ?? {});
  return { form: { url: url.toString(), fields }, appSid };
}
