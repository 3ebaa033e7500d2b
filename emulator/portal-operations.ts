import { postEvent, sendInstall, sendUninstall } from './app-events';
import { botJoinBody } from './bot-events';
import { buildLaunch, type LaunchOptions } from './launch';
import type { AvatarCdn } from './avatar-cdn';
import type { RateLimit } from './rate-limit';
import { randomToken, seedPortal, type Chat, type Fault, type PortalState } from './state';
import type { TokenIssuer } from './tokens';

// What can be done to a portal from outside: the test API (HTTP) and the in-process API call
// these, and so do the portal's own pages (install, uninstall, frames).

export interface PortalDeps {
  portal: PortalState;
  issuer: TokenIssuer;
  app: { clientId: string; appUrl: string; scope: string };
  oauthUrl: () => string;
  rateLimit: RateLimit;
  log: (line: string) => void;
  /** How the portal was seeded, for reset(). */
  initial: Parameters<typeof seedPortal>[0];
  /** Opens one more listener for the portal (a rename) and answers its port. */
  listenAgain?: () => Promise<number>;
  /** The host of its chats' avatars, shared by the emulator's portals (avatar-cdn.ts). */
  avatars: AvatarCdn;
}

export type PortalOperations = ReturnType<typeof portalOperations>;

const deliveries = new WeakMap<PortalState, Set<Promise<unknown>>>();

export function portalOperations(deps: PortalDeps) {
  const { portal } = deps;
  const baseUrl = () => `http://${portal.host}:${portal.port}`;
  const restUrl = () => `${baseUrl()}/rest/`;
  const endpoints = () => ({ oauthUrl: deps.oauthUrl(), restUrl: restUrl(), scope: deps.app.scope, log: deps.log });

  /** settings/app-uninstallation.md: the app's tokens, bots, event handlers and widgets go. */
  const forgetApp = () => {
    portal.installed = false;
    deps.issuer.revoke(portal.memberId);
    for (const bot of portal.bots.values()) {
      if (bot.appId !== deps.app.clientId) continue;
      portal.bots.delete(bot.id);
      for (const chat of portal.chats.values()) chat.members = chat.members.filter((m) => m !== bot.id);
    }
    portal.events = portal.events.filter((b) => b.appId !== deps.app.clientId);
    portal.placements = portal.placements.filter((b) => b.appId !== deps.app.clientId);
    portal.frames.clear();
    // A reinstall is a new installation with a new application token.
    portal.applicationToken = randomToken();
  };

  // Events under way (posted after a method answered), for tests that wait for them: one set per
  // portal, shared by every portalOperations of it (the portal's server has its own).
  const delivering = deliveries.get(portal) ?? new Set<Promise<unknown>>();
  deliveries.set(portal, delivering);
  const deliver = (work: () => Promise<unknown>) => {
    // Bitrix24's event queue posts after the method that fired the event has answered.
    const run = new Promise((resolve) => setImmediate(resolve)).then(work);
    delivering.add(run);
    void run.finally(() => delivering.delete(run));
  };

  return {
    baseUrl,
    restUrl,
    /**
     * ONIMBOTJOINCHAT to the bot's EVENT_WELCOME_MESSAGE handler (on-imbot-join-chat.md), with the
     * bot's tokens and the adding user's; none before installFinish (installation-finish.md).
     */
    botJoined(join: { botId: number; chat: Chat; userId: number; hideHistory: boolean }) {
      const bot = portal.bots.get(join.botId);
      const user = portal.users.get(join.userId);
      if (!bot || !user || !portal.installed) return;
      const owner = { memberId: portal.memberId, clientId: bot.appId };
      const body = botJoinBody(
        portal,
        {
          bot,
          chat: join.chat,
          user,
          botPair: deps.issuer.issuePair({ ...owner, userId: bot.id }),
          userPair: deps.issuer.issuePair({ ...owner, userId: user.id }),
          hideHistory: join.hideHistory,
          handlerId: bot.id,
        },
        { oauthUrl: deps.oauthUrl(), restUrl: restUrl(), scope: deps.app.scope, clientId: bot.appId },
      );
      deliver(() => postEvent(portal, bot.handlers.EVENT_WELCOME_MESSAGE, body, deps.log));
    },
    /** Resolves once every event posted so far has been answered. */
    async eventsDelivered() {
      while (delivering.size > 0) await Promise.allSettled([...delivering]);
    },
    launch: (opts: LaunchOptions) =>
      buildLaunch(
        {
          portal,
          issuer: deps.issuer,
          clientId: deps.app.clientId,
          appUrl: deps.app.appUrl,
          oauthUrl: deps.oauthUrl(),
          scope: deps.app.scope,
        },
        opts,
      ),
    /** What BX24.installFinish() on the install page does (installation-finish.md). */
    finishInstall() {
      portal.installed = true;
      deps.log(`portal ${portal.memberId}: installFinish`);
    },
    /** A fresh pair for the user of a rendered frame (the SDK's refreshAuth command). */
    refreshFrameAuth(appSid: string) {
      const frame = portal.frames.get(appSid);
      if (!frame) return null;
      const pair = deps.issuer.issuePair({
        memberId: portal.memberId,
        userId: frame.userId,
        clientId: deps.app.clientId,
      });
      portal.stats.launchGrants++;
      return {
        AUTH_ID: pair.accessToken,
        REFRESH_ID: pair.refreshToken,
        AUTH_EXPIRES: String(pair.expiresIn),
        MEMBER_ID: portal.memberId,
        DOMAIN: `${portal.host}:${portal.port}`,
      };
    },
    /** A token of any application on this portal: e.g. another app, to provoke APP_ID_ERROR. */
    issueAccessToken(userId: number, clientId = deps.app.clientId) {
      return deps.issuer.issuePair({ memberId: portal.memberId, userId, clientId }).accessToken;
    },
    /** A whole pair of any application on this portal: what that application's own frame would receive. */
    issueTokenPair(userId: number, clientId = deps.app.clientId) {
      const { accessToken, refreshToken } = deps.issuer.issuePair({ memberId: portal.memberId, userId, clientId });
      return { accessToken, refreshToken };
    },
    expireAccessTokens: () => deps.issuer.expireAccess(portal.memberId),
    /** Every token of the portal; or, given a user, that user's alone (a user who left the company). */
    revokeTokens: (userId?: number) =>
      userId === undefined ? deps.issuer.revoke(portal.memberId) : deps.issuer.revokeUser(portal.memberId, userId),
    /**
     * The administrator renames the portal (settings/how-to-call-rest-api/change-domen.md): it
     * answers at a new address from now on, the old one redirects every request there (REST
     * calls too, with 302), and the OAuth server reports the new client_endpoint.
     */
    async rename() {
      if (!deps.listenAgain) throw new Error('this portal cannot be renamed');
      portal.port = await deps.listenAgain();
      deps.log(`portal ${portal.memberId}: renamed to ${baseUrl()}`);
      return { domain: `${portal.host}:${portal.port}`, baseUrl: baseUrl(), restUrl: restUrl() };
    },
    /**
     * The administrator installs the application again over itself: the install page is posted
     * again until installFinish, with a new application token (the harder reading of
     * security-recommendations.md, "Update the saved value … if Bitrix24 has provided a new
     * application_token"); its tokens, bot, handlers and widgets stay.
     */
    reinstall() {
      portal.installed = false;
      portal.applicationToken = randomToken();
      deps.log(`portal ${portal.memberId}: reinstall started`);
    },
    injectFault(fault: Partial<Fault> & { method: string }) {
      portal.faults.push({ ...fault, times: fault.times ?? 1 });
    },
    clearFaults() {
      portal.faults.length = 0;
    },
    /**
     * limits.md's resource-intensity limit: methods whose baskets hold more than `limitSeconds`
     * are refused with OPERATION_TIME_LIMIT (null lifts it); `costs` are the seconds a call of a
     * method counts on top of the time it took.
     */
    setOperatingLimit(limit: { limitSeconds: number | null; costs?: Record<string, number> }) {
      portal.operatingLimit = {
        limitSeconds: limit.limitSeconds,
        costs: new Map(Object.entries(limit.costs ?? {}).map(([method, seconds]) => [method.toLowerCase(), seconds])),
      };
    },
    /** The administrator uninstalls the app; `clean`: "Delete application settings and data" was ticked. */
    async uninstall(opts: { clean?: boolean } = {}) {
      // The handlers are read before they are deleted; then the event goes out.
      const handlers = portal.events
        .filter((e) => e.name === 'ONAPPUNINSTALL' && e.appId === deps.app.clientId)
        .map((e) => e.handler);
      const token = portal.applicationToken;
      const wasInstalled = portal.installed;
      forgetApp();
      // installation-finish.md: an app that never finished installing receives no events.
      if (!wasInstalled || handlers.length === 0) return { status: 0 };
      const frozen = { ...portal, applicationToken: token };
      return sendUninstall(frozen, handlers, endpoints(), opts);
    },
    /** ONAPPINSTALL for an app without UI: installed at once, tokens of user 1 posted; installed again, a new application token. */
    async installEvent() {
      if (portal.installed) portal.applicationToken = randomToken();
      portal.installed = true;
      const userId = 1;
      const pair = deps.issuer.issuePair({ memberId: portal.memberId, userId, clientId: deps.app.clientId });
      return sendInstall(portal, `${deps.app.appUrl}/events`, pair, userId, endpoints());
    },
    reset() {
      deps.issuer.revoke(portal.memberId);
      deps.avatars.clearFaults(portal);
      Object.assign(portal, seedPortal(deps.initial));
    },
    stats: () => ({ ...portal.stats }),
  };
}
