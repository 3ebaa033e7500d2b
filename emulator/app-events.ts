import type { PortalState } from './state';
import type { TokenPair } from './tokens';

// Events Bitrix24 posts to the app, form-encoded with nested keys (api-reference/events/*,
// _includes/auth-params-in-events.md, settings/oauth/simple-way.md "Tokens for an Application
// Without an Interface").

export interface EventEndpoints {
  oauthUrl: string;
  restUrl: string;
  scope: string;
  log: (line: string) => void;
}

/** Posts one event to one handler, and keeps it with its answer's status in `portal.sentEvents`. */
export async function postEvent(
  portal: PortalState,
  url: string,
  body: URLSearchParams,
  log: (line: string) => void,
): Promise<{ status: number }> {
  const sent = {
    event: body.get('event') ?? '',
    handler: url,
    fields: Object.fromEntries(body),
    status: 0,
    at: new Date().toISOString(),
  };
  portal.sentEvents.push(sent);
  try {
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    log(`event ${sent.event} -> ${url}: ${res.status}`);
    sent.status = res.status;
  } catch (error) {
    log(`event ${sent.event} -> ${url}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { status: sent.status };
}

const nowSeconds = () => String(Math.floor(Date.now() / 1000));

/**
 * ONAPPUNINSTALL carries no tokens, only application_token (safe-event-handlers.md: "no
 * authorization data is passed to it"), and data[CLEAN]: 1 when the administrator chose "Delete
 * application settings and data" (common/events/on-app-uninstall.md, settings/app-uninstallation.md).
 * Posted to every handler bound to it; answers the last status (0 when none was bound or none answered).
 */
export async function sendUninstall(
  portal: PortalState,
  handlers: string[],
  ep: EventEndpoints,
  opts: { clean?: boolean } = {},
): Promise<{ status: number }> {
  const body = new URLSearchParams({
    event: 'ONAPPUNINSTALL',
    'data[LANGUAGE_ID]': portal.language,
    'data[CLEAN]': opts.clean ? '1' : '0',
    ts: nowSeconds(),
    'auth[domain]': `${portal.host}:${portal.port}`,
    'auth[client_endpoint]': ep.restUrl,
    'auth[server_endpoint]': `${ep.oauthUrl}/rest/`,
    'auth[member_id]': portal.memberId,
    'auth[scope]': ep.scope,
    'auth[status]': 'L',
    'auth[application_token]': portal.applicationToken,
  });
  let status = 0;
  for (const handler of handlers) status = (await postEvent(portal, handler, body, ep.log)).status;
  return { status };
}

/** ONAPPINSTALL for an app without UI: the one event that carries refresh_token. */
export async function sendInstall(
  portal: PortalState,
  url: string,
  pair: TokenPair,
  userId: number,
  ep: EventEndpoints,
): Promise<{ status: number }> {
  const body = new URLSearchParams({
    event: 'ONAPPINSTALL',
    'data[VERSION]': '1',
    'data[ACTIVE]': 'Y',
    'data[INSTALLED]': 'Y',
    'data[LANGUAGE_ID]': 'en',
    ts: nowSeconds(),
    'auth[access_token]': pair.accessToken,
    'auth[expires]': String(pair.expires),
    'auth[expires_in]': String(pair.expiresIn),
    'auth[scope]': ep.scope,
    'auth[domain]': `${portal.host}:${portal.port}`,
    'auth[server_endpoint]': `${ep.oauthUrl}/rest/`,
    'auth[status]': 'L',
    'auth[client_endpoint]': ep.restUrl,
    'auth[member_id]': portal.memberId,
    'auth[user_id]': String(userId),
    'auth[refresh_token]': pair.refreshToken,
    'auth[application_token]': portal.applicationToken,
  });
  return postEvent(portal, url, body, ep.log);
}
