import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAvatarCdn, type AvatarFault } from './avatar-cdn';
import type { LaunchForm, LaunchOptions } from './launch';
import { createOAuthServerApp, type TokenRequest } from './oauth-server';
import { createPortalApp, portalOperations } from './portal-server';
import type { PortalDeps } from './portal-operations';
import { presentEmulatedBot, presentEmulatedChat, type EmulatedBot, type EmulatedChat } from './present';
import type { RateLimit } from './rate-limit';
import {
  GENERAL_CHAT_ID,
  PRIVATE_DIALOG_ID,
  seedPortal,
  type Fault,
  type PortalProfile,
  type PortalSeed,
  type PortalState,
  type RecordedCall,
  type SentEvent,
} from './state';
export { companyChatIds, companyChatKind, type CompanyChatKind } from './company-chats';
import { createTokenIssuer } from './tokens';

// A local Bitrix24: one OAuth server and one or more portals, each on its own port (so each
// has its own domain, `host:port`). Built from Bitrix24's REST documentation (emulator/README.md
// names the page behind each rule); imports nothing from server/.

export type {
  AvatarFault,
  EmulatedBot,
  EmulatedChat,
  LaunchForm,
  LaunchOptions,
  PortalProfile,
  PortalSeed,
  RateLimit,
  RecordedCall,
  SentEvent,
  TokenRequest,
};
export {
  ADMIN_USER_ID,
  ANNOUNCEMENTS_CHAT_ID,
  BOARD_CHAT_ID,
  CHANNEL_ID,
  COMPANY_CHAT_COUNT,
  FIRST_COMPANY_CHAT_ID,
  FIRST_PROJECT_CHAT_ID,
  GENERAL_CHAT_ID,
  MARKETING_CHAT_ID,
  MARKUP_CHAT_ID,
  OUTSIDER_USER_ID,
  PLAIN_USER_ID,
  PRIVATE_DIALOG_ID,
  PORTAL_PROFILES,
  PROJECT_CHAT_COUNT,
  SALES_CHAT_ID,
  WORKGROUP_CHAT_ID,
} from './state';

export interface EmulatorOptions {
  host?: string;
  oauthPort?: number;
  /** Where the CDN of cloud portals' chat avatars listens (avatar-cdn.ts); any free port by default. */
  avatarCdnPort?: number;
  /** `seed: 'company'` adds the company's 300 chats of mixed rights (state.ts, company-chats.ts). */
  portals?: Array<{ memberId?: string; port?: number; title?: string; profile?: PortalProfile; seed?: PortalSeed }>;
  /** The Bitrix24 every portal behaves as unless its own spec says otherwise; `cloud` by default. */
  profile?: PortalProfile;
  app: { clientId: string; clientSecret: string; appUrl: string; scope?: string };
  accessTokenTtlSeconds?: number;
  rateLimit?: RateLimit;
  log?: (line: string) => void;
}

export interface PortalStats {
  codeGrants: number;
  refreshGrants: number;
  /** Token pairs handed out by launches and frame refreshAuth (not OAuth grants). */
  launchGrants: number;
  restCalls: number;
  rateLimited: number;
}

export interface EmulatedPortal {
  memberId: string;
  /** `host:port`; each follows a rename(). */
  readonly domain: string;
  readonly baseUrl: string;
  readonly restUrl: string;
  launch(opts: LaunchOptions): LaunchForm;
  /** What the install page's `installFinish()` does in a browser. */
  finishInstall(): void;
  /** An access token of any application on this portal (another app: APP_ID_ERROR tests). */
  issueAccessToken(userId: number, clientId?: string): string;
  /** A whole pair (access and refresh token) of any application on this portal. */
  issueTokenPair(userId: number, clientId?: string): { accessToken: string; refreshToken: string };
  expireAccessTokens(): void;
  /** Every token of the portal, or of one user (a user who left the company). */
  revokeTokens(userId?: number): void;
  /** The portal moves to a new address (another port); the old one redirects there. */
  rename(): Promise<{ domain: string; baseUrl: string; restUrl: string }>;
  /** The administrator installs the app again over itself: the install page again, a new application token. */
  reinstall(): void;
  injectFault(fault: {
    method: string;
    error?: string;
    description?: string;
    argument?: string;
    status?: number;
    times?: number;
    latencyMs?: number;
    answerLatencyMs?: number;
    /** Answer this `result` without running the method. */
    noEffect?: unknown;
    /** The portal itself is down or slow: strikes before the token is looked at (a revoked one too). */
    beforeAuth?: boolean;
    /** Let this many matching calls through before striking. */
    skip?: number;
  }): void;
  clearFaults(): void;
  /** Makes this portal's chat avatar links misbehave (unreachable, slow, huge, not an image, a redirect, another link). */
  injectAvatarFault(fault: AvatarFault): void;
  clearAvatarFaults(): void;
  /** How many times this portal's avatar files were asked for. */
  avatarFetches(): number;
  /** limits.md's resource-intensity limit per method (null lifts it), and seconds each call of a method counts. */
  setOperatingLimit(limit: { limitSeconds: number | null; costs?: Record<string, number> }): void;
  calls(): RecordedCall[];
  chat(id: number): EmulatedChat | undefined;
  /** Every bot registered on the portal, whichever application registered it. */
  bots(): EmulatedBot[];
  generalChatId(): number;
  privateDialogId(): number;
  stats(): PortalStats;
  /** The administrator uninstalls the app; `clean`: with "Delete application settings and data" (data[CLEAN]=1). */
  sendUninstallEvent(opts?: { clean?: boolean }): Promise<{ status: number }>;
  /** Every event the portal posted to the app (ONAPPUNINSTALL, ONIMBOTJOINCHAT, …), oldest first. */
  sentEvents(): SentEvent[];
  /** Resolves once every event posted so far has been answered. */
  eventsDelivered(): Promise<void>;
  sendInstallEvent(): Promise<{ status: number }>;
  isInstalled(): boolean;
  reset(): void;
  /** The raw state, for tests that need to arrange something unusual. */
  state: PortalState;
}

export interface Emulator {
  oauthUrl: string;
  /** http://host:port of the CDN that serves cloud portals' chat avatars. */
  avatarCdnUrl: string;
  portals: EmulatedPortal[];
  /** Every request that reached the OAuth server's token endpoint, granted or refused, oldest first. */
  tokenRequests(): TokenRequest[];
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const scope = options.app.scope ?? 'imbot,im,user_brief,placement';
  const rateLimit = options.rateLimit ?? { threshold: 50, drainPerSecond: 2 };
  const log = options.log ?? (() => undefined);
  const issuer = createTokenIssuer({ accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600 });
  const servers: Server[] = [];
  const states: PortalState[] = [];
  const tokenRequests: TokenRequest[] = [];
  let oauthUrl = '';

  const close = () =>
    Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (!server.listening) return resolve();
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    ).then(() => undefined);

  try {
    const oauthServer = createServer(
      createOAuthServerApp({
        issuer,
        app: { clientId: options.app.clientId, clientSecret: options.app.clientSecret, scope },
        portals: () => states,
        baseUrl: () => oauthUrl,
        portalRestUrl: (p) => `http://${p.host}:${p.port}/rest/`,
        log,
        onTokenRequest: (request) => tokenRequests.push(request),
      }),
    );
    servers.push(oauthServer);
    oauthUrl = `http://${host}:${await listen(oauthServer, host, options.oauthPort ?? 0)}`;

    const avatars = createAvatarCdn();
    const cdnServer = createServer((req, res) => avatars.handle(req, res));
    servers.push(cdnServer);
    avatars.setOrigin(`http://${host}:${await listen(cdnServer, host, options.avatarCdnPort ?? 0)}`);

    const portals: EmulatedPortal[] = [];
    for (const [index, spec] of (options.portals ?? [{}]).entries()) {
      const server = createServer();
      servers.push(server);
      const port = await listen(server, host, spec.port ?? 0);
      const initial = {
        memberId: spec.memberId ?? randomBytes(16).toString('hex'),
        title: spec.title ?? (index === 0 ? 'Acme Corp' : `Portal ${index + 1}`),
        host,
        port,
        profile: spec.profile ?? options.profile ?? 'cloud',
        seed: spec.seed ?? 'standard',
      };
      const state = seedPortal(initial);
      states.push(state);
      const portalApp: { handle?: (req: IncomingMessage, res: ServerResponse) => void } = {};
      const deps: PortalDeps = {
        portal: state,
        issuer,
        app: { clientId: options.app.clientId, appUrl: options.app.appUrl.replace(/\/+$/, ''), scope },
        oauthUrl: () => oauthUrl,
        rateLimit,
        log,
        initial,
        avatars,
        // A rename: the same portal answers on one more port.
        listenAgain: async () => {
          const renamed = createServer((req, res) => portalApp.handle!(req, res));
          servers.push(renamed);
          return listen(renamed, host, 0);
        },
      };
      portalApp.handle = createPortalApp(deps);
      server.on('request', portalApp.handle);
      const ops = portalOperations(deps);
      portals.push({
        memberId: state.memberId,
        get domain() {
          return `${state.host}:${state.port}`;
        },
        get baseUrl() {
          return ops.baseUrl();
        },
        get restUrl() {
          return ops.restUrl();
        },
        launch: (opts) => ops.launch(opts).form,
        finishInstall: ops.finishInstall,
        issueAccessToken: ops.issueAccessToken,
        issueTokenPair: ops.issueTokenPair,
        expireAccessTokens: ops.expireAccessTokens,
        revokeTokens: ops.revokeTokens,
        rename: ops.rename,
        reinstall: ops.reinstall,
        injectFault: (fault) => ops.injectFault(fault as Partial<Fault> & { method: string }),
        clearFaults: ops.clearFaults,
        injectAvatarFault: (fault) => avatars.injectFault(state, fault),
        clearAvatarFaults: () => avatars.clearFaults(state),
        avatarFetches: () => avatars.fetches(state),
        setOperatingLimit: ops.setOperatingLimit,
        calls: () => [...state.calls],
        chat: (id) => {
          const chat = state.chats.get(id);
          return chat ? presentEmulatedChat(chat) : undefined;
        },
        bots: () => [...state.bots.values()].map(presentEmulatedBot),
        generalChatId: () => GENERAL_CHAT_ID,
        privateDialogId: () => PRIVATE_DIALOG_ID,
        stats: ops.stats,
        sendUninstallEvent: ops.uninstall,
        sentEvents: () => [...state.sentEvents],
        eventsDelivered: ops.eventsDelivered,
        sendInstallEvent: ops.installEvent,
        isInstalled: () => state.installed,
        reset: ops.reset,
        state,
      });
      log(`portal ${initial.title}: http://${host}:${port}/ (member_id ${initial.memberId})`);
    }
    return { oauthUrl, avatarCdnUrl: avatars.origin(), portals, tokenRequests: () => [...tokenRequests], close };
  } catch (error) {
    await close();
    throw error;
  }
}
