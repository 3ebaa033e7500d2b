import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { Lang } from '../lang';
import type { LearntCapabilities, Portal, Store } from '../store/store';
import { PORTAL_TOKEN_USER } from '../store/store';
import { APP_INFO_COMMAND, APP_INFO_KEY, applicationCodeOf } from '../bitrix24/app-identity';
import { Bitrix24Error, Bitrix24UnavailableError, OAuthGrantError } from '../bitrix24/bitrix24-error';
import { STRICT_EGRESS, type EgressPolicy } from '../bitrix24/http-json';
import { callWithAccessToken, restExchange, type SeenExchange } from '../bitrix24/rest-call';
import type { RequestLog } from '../bitrix24/request-log';
import type { OAuthServerClient } from '../bitrix24/oauth-client';
import { toAppError } from '../bitrix24/error-mapping';
import type { GrantRequestLimits } from '../bitrix24/grant-limits';
import type { PortalCapabilities } from './portal-capabilities';
import type { PortalClients } from '../bitrix24/portal-clients';
import type { PortalSetup } from './portal-setup';

export interface InstallRequest {
  memberId: string;
  refreshToken: string;
  applicationToken: string | null;
  /** The installing administrator's LANG, for the bot's name; ONAPPINSTALL carries none (English). */
  lang?: Lang;
}

/** The installed portal, and what the install learnt of its Bitrix24 (null when it could not be asked). */
export type InstalledPortal = Portal & { capabilities: LearntCapabilities | null };

export interface InstallPortal {
  /** The installed portal; setup steps Bitrix24 refused are recorded on it (`setupProblems`), never thrown. */
  (request: InstallRequest): Promise<InstalledPortal>;
}

/**
 * Installs (or reinstalls) the app on a portal, for the install page and for ONAPPINSTALL.
 * Nothing posted is believed: the posted refresh token is traded at the OAuth server of our
 * configuration, whose answer names the portal (member_id) and its REST endpoint. A posted
 * DOMAIN is never contacted (docs/bitrix24-behaviours.md, "Installing").
 *
 * Every user who opens the app gets the install form's fields, the application token included,
 * so only a portal administrator may install: anyone else would replace the portal-level token
 * with their own and choose the token that uninstall events are checked against.
 */
export function createInstallPortal(deps: {
  store: Store;
  oauth: OAuthServerClient;
  /** B24_CLIENT_ID: app.info must name it for the pair the install was traded for. */
  clientId: string;
  clients: PortalClients;
  setup: PortalSetup;
  capabilities: Pick<PortalCapabilities, 'learn'>;
  allowHttpPortals: boolean;
  timeoutMs: number;
  /**
   * The egress policy of every REST call (http-json.ts): the new portal's endpoint is held to it
   * too. Without one, the strict policy, with private addresses allowed as http portals are.
   */
  egress?: EgressPolicy;
  /** The install's own batch (user.admin, app.info) and its answer, for support (request-log.ts). */
  requestLog?: RequestLog;
  log: Logger;
  now?: () => Date;
}): InstallPortal {
  const now = deps.now ?? (() => new Date());
  return async (request) => {
    let grant;
    try {
      grant = await deps.oauth.refresh(request.refreshToken, request.memberId);
    } catch (error) {
      if (error instanceof OAuthGrantError) {
        deps.log.warn(
          { memberId: request.memberId, code: error.code },
          'install refused: the OAuth server did not confirm it',
        );
        throw new AppError('INSTALL_NOT_VERIFIED', { detail: error.code });
      }
      if (error instanceof Bitrix24UnavailableError)
        throw new AppError('BITRIX24_UNAVAILABLE', { detail: error.message });
      throw error;
    }
    if (grant.memberId !== request.memberId) {
      deps.log.warn(
        { posted: request.memberId, confirmed: grant.memberId },
        'install refused: member_id does not match the OAuth server',
      );
      throw new AppError('INSTALL_NOT_VERIFIED', { detail: 'member_id mismatch' });
    }
    const endpoint = new URL(grant.clientEndpoint);
    if (endpoint.protocol !== 'https:' && !(endpoint.protocol === 'http:' && deps.allowHttpPortals)) {
      throw new AppError('INSTALL_NOT_VERIFIED', {
        detail: `portal endpoint protocol ${endpoint.protocol} not allowed`,
      });
    }

    await requireAdministrator(grant.clientEndpoint, grant.accessToken, grant.memberId, grant.userId, deps);

    let portal = await deps.store.savePortal(
      {
        memberId: grant.memberId,
        domain: endpoint.host,
        clientEndpoint: grant.clientEndpoint,
        serverEndpoint: grant.serverEndpoint,
        scope: grant.scope,
        status: grant.status,
        applicationToken: request.applicationToken,
      },
      now(),
    );
    await deps.store.saveTokens(
      { memberId: portal.memberId, userId: PORTAL_TOKEN_USER },
      { accessToken: grant.accessToken, refreshToken: grant.refreshToken, expiresAt: grant.expiresAt },
    );
    await deps.store.recordTokenRefresh(portal.memberId, true, now());
    deps.clients.forget(portal.memberId);
    deps.log.info({ memberId: portal.memberId, domain: portal.domain }, 'portal installed');

    // A refused step (a placement Bitrix24 does not accept, say) must not keep the install page
    // from calling installFinish: it is recorded for the Status tab, where Repair runs it again.
    await deps.setup.runAll(portal, request.lang);
    // Which Bitrix24 this is (the avatar method, scopes, im.dialog.get's fields): not knowing
    // must not keep installFinish from running either; the app then uses the method every
    // portal but the current cloud has, and Repair asks again.
    // What is missing (an on-premise Bitrix24 without a method or event the app needs) is said on
    // the install page, from this, and on the Status tab.
    const capabilities = await deps.capabilities.learn(portal).catch((error: unknown) => {
      deps.log.warn({ memberId: portal.memberId, err: error }, 'portal capabilities not learnt at install');
      return null;
    });
    portal = (await deps.store.findPortalByMemberId(portal.memberId)) ?? portal;
    return { ...portal, capabilities };
  };
}

/**
 * One batch, with the installing user's own token (batch.md): user.admin
 * (api-reference/common/users/user-admin.md), and app.info, which names the application the pair
 * belongs to (app-identity.ts). The pair came from the OAuth server for this app's client id, and
 * its answer does not say whose pair it handed back (settings/oauth/index.md): app.info does.
 */
async function requireAdministrator(
  endpoint: string,
  accessToken: string,
  memberId: string,
  userId: number | null,
  deps: {
    clientId: string;
    timeoutMs: number;
    egress?: EgressPolicy;
    allowHttpPortals: boolean;
    requestLog?: RequestLog;
    log: Logger;
  },
): Promise<void> {
  let answer: { result?: Record<string, unknown>; result_error?: unknown } | null;
  const egress = deps.egress ?? { ...STRICT_EGRESS, allowPrivateNetworks: deps.allowHttpPortals };
  try {
    const cmd = new URLSearchParams({
      halt: '1',
      'cmd[admin]': 'user.admin',
      [`cmd[${APP_INFO_KEY}]`]: APP_INFO_COMMAND,
    });
    const observe =
      deps.requestLog &&
      ((seen: SeenExchange) => deps.requestLog!.record(restExchange({ memberId, userId }, 'batch', seen)));
    answer = await callWithAccessToken<typeof answer>(
      endpoint,
      'batch',
      cmd,
      accessToken,
      deps.timeoutMs,
      egress,
      observe,
    );
  } catch (error) {
    if (error instanceof Bitrix24UnavailableError)
      throw new AppError('BITRIX24_UNAVAILABLE', { detail: error.message });
    if (error instanceof Bitrix24Error)
      throw new AppError('INSTALL_NOT_VERIFIED', { detail: `user.admin refused: ${error.code}` });
    throw error;
  }
  const errors = answer?.result_error;
  if (errors !== null && typeof errors === 'object' && !Array.isArray(errors) && Object.keys(errors).length > 0)
    throw new AppError('INSTALL_NOT_VERIFIED', { detail: `batch refused: ${Object.keys(errors).join(', ')}` });
  const application = applicationCodeOf(answer?.result?.[APP_INFO_KEY]);
  if (application !== deps.clientId) {
    deps.log.warn(
      { memberId, application: application ?? '(unknown)' },
      'install refused: the token was issued to another application',
    );
    throw new AppError('INSTALL_NOT_VERIFIED', { detail: `token of application ${application ?? '(unknown)'}` });
  }
  const admin = answer?.result?.admin;
  if (admin !== true && admin !== 'true' && admin !== 1) {
    deps.log.warn({ memberId }, 'install refused: the user is not a portal administrator');
    throw new AppError('INSTALL_NOT_ADMIN', { detail: 'user.admin is false' });
  }
}

/** The install page's post: the refresh token it carries is traded only within the limits for grant requests. */
export type InstallFromPage = (request: InstallRequest & { address: string }) => Promise<InstalledPortal>;

/**
 * Anyone can post the install form, and it makes the app trade REFRESH_ID at the OAuth server
 * with its client secret: limited by address and by portal (grant-limits.ts) before anything is
 * asked. A refusal, the app's or Bitrix24's, comes out as the app's error, for the page's one sentence.
 */
export function createInstallFromPage(deps: {
  install: InstallPortal;
  grantRequests: Pick<GrantRequestLimits, 'admit'>;
}): InstallFromPage {
  return async ({ address, ...request }) => {
    try {
      await deps.grantRequests.admit({ address, memberId: request.memberId });
      return await deps.install(request);
    } catch (error) {
      throw toAppError(error);
    }
  };
}
