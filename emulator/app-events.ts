import type { PortalState } from './state';

// Bitrix24 posts events form-encoded with nested keys (api-reference/events/*,
// _includes/auth-params-in-events.md).

function form(values: Record<string, string | number>): URLSearchParams {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) body.set(key, String(value));
  return body;
}

async function post(url: string, body: URLSearchParams): Promise<{ status: number }> {
  try {
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return { status: res.status };
  } catch {
    return { status: 0 };
  }
}

export async function sendUninstall(portal: PortalState, deps: { oauthUrl: string; restUrl: string }): Promise<{ status: number }> {
  const handlers = portal.events.filter((e) => e.name === 'ONAPPUNINSTALL');
  const body = form({
    event: 'ONAPPUNINSTALL',
    'data[LANGUAGE_ID]': 'en',
    'data[CLEAN]': 0,
    ts: Math.floor(Date.now() / 1000),
    'auth[domain]': `${portal.host}:${portal.port}`,
    'auth[client_endpoint]': deps.restUrl,
    'auth[server_endpoint]': `${deps.oauthUrl}/rest/`,
    'auth[member_id]': portal.memberId,
    'auth[application_token]': portal.applicationToken,
  });
  let status = 0;
  for (const handler of handlers) status = (await post(handler.handler, body)).status;
  return { status };
}

export async function sendInstall(portal: PortalState, deps: { oauthUrl: string; restUrl: string; appUrl: string; pair: { accessToken: string; refreshToken: string; expiresIn: number }; scope: string }): Promise<{ status: number }> {
  const body = form({
    event: 'ONAPPINSTALL',
    'data[VERSION]': 1,
    'data[LANGUAGE_ID]': 'en',
    ts: Math.floor(Date.now() / 1000),
    'auth[access_token]': deps.pair.accessToken,
    'auth[expires]': Math.floor(Date.now() / 1000) + deps.pair.expiresIn,
    'auth[expires_in]': deps.pair.expiresIn,
    'auth[scope]': deps.scope,
    'auth[domain]': `${portal.host}:${portal.port}`,
    'auth[server_endpoint]': `${deps.oauthUrl}/rest/`,
    'auth[status]': 'L',
    'auth[client_endpoint]': deps.restUrl,
    'auth[member_id]': portal.memberId,
    'auth[user_id]': 1,
    'auth[refresh_token]': deps.pair.refreshToken,
    'auth[application_token]': portal.applicationToken,
  });
  return post(`${deps.appUrl}/events`, body);
}
