import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LaunchForm, LaunchOptions } from './launch';
import { createOAuthServerApp, createTokenIssuer } from './oauth-server';
import { createPortalApp, portalOperations } from './portal-server';
import type { RateLimit } from './portal-rest';
import { GENERAL_CHAT_ID, seedPortal, type Chat, type Fault, type PortalState, type RecordedCall } from './state';

// A local Bitrix24: one OAuth server and one or more portals, each on its own port (so each
// has its own domain, `host:port`). Built from ../shared/reference/b24-rest-docs; imports
// nothing from server/. See emulator/README.md.

export type { LaunchForm, LaunchOptions, RecordedCall };

export interface EmulatorOptions {
  host?: string;
  oauthPort?: number;
  portals?: Array<{ memberId?: string; port?: number; title?: string }>;
  app: { clientId: string; clientSecret: string; appUrl: string; scope?: string };
  accessTokenTtlSeconds?: number;
  rateLimit?: RateLimit;
}

export interface EmulatedChat {
  id: number;
  title: string;
  members: number[];
  avatar: { format: string; width: number; height: number; bytes: number; base64: string } | null;
}

export interface EmulatedPortal {
  memberId: string;
  domain: string;
  baseUrl: string;
  restUrl: string;
  launch(opts: LaunchOptions): LaunchForm;
  /** What the install page's `installFinish()` does in a browser. */
  finishInstall(): void;
  expireAccessTokens(): void;
  revokeTokens(): void;
  injectFault(fault: Partial<Fault> & { method: string }): void;
  clearFaults(): void;
  calls(): RecordedCall[];
  chat(id: number): EmulatedChat | undefined;
  generalChatId(): number;
  stats(): { codeGrants: number; refreshGrants: number; restCalls: number; rateLimited: number };
  sendUninstallEvent(): Promise<{ status: number }>;
  sendInstallEvent(): Promise<{ status: number }>;
  isInstalled(): boolean;
  reset(): void;
  /** The raw state, for tests that need to arrange something unusual. */
  state: PortalState;
}

export interface Emulator {
  oauthUrl: string;
  portals: EmulatedPortal[];
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function presentChat(chat: Chat): EmulatedChat {
  return {
    id: chat.id,
    title: chat.title,
    members: [...chat.members],
    avatar: chat.avatar ? { format: chat.avatar.format, width: chat.avatar.width, height: chat.avatar.height, bytes: chat.avatar.data.length, base64: chat.avatar.data.toString('base64') } : null,
  };
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const scope = options.app.scope ?? 'imbot,im,placement,user_brief';
  const rateLimit = options.rateLimit ?? { threshold: 50, drainPerSecond: 2 };
  const issuer = createTokenIssuer({ accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600 });
  const servers: Server[] = [];
  const states: PortalState[] = [];
  let oauthUrl = '';

  const oauthServer = createServer(
    createOAuthServerApp({
      issuer,
      app: { clientId: options.app.clientId, clientSecret: options.app.clientSecret, scope },
      portals: () => states,
      baseUrl: () => oauthUrl,
      portalRestUrl: (p) => `http://${p.host}:${p.port}/rest/`,
    }),
  );
  servers.push(oauthServer);
  oauthUrl = `http://${host}:${await listen(oauthServer, host, options.oauthPort ?? 0)}`;

  const portals: EmulatedPortal[] = [];
  for (const [index, spec] of (options.portals ?? [{}]).entries()) {
    const server = createServer();
    servers.push(server);
    const port = await listen(server, host, spec.port ?? 0);
    const initial = { memberId: spec.memberId ?? randomBytes(16).toString('hex'), title: spec.title ?? (index === 0 ? 'Acme Corp' : `Portal ${index + 1}`), host, port };
    const state = seedPortal(initial);
    states.push(state);
    const deps = { portal: state, issuer, app: { clientId: options.app.clientId, appUrl: options.app.appUrl, scope }, oauthUrl: () => oauthUrl, rateLimit, initial };
    server.on('request', createPortalApp(deps));
    const ops = portalOperations(deps);
    portals.push({
      memberId: state.memberId,
      domain: `${host}:${port}`,
      baseUrl: ops.baseUrl(),
      restUrl: ops.restUrl(),
      launch: (opts) => ops.launch(opts).form,
      finishInstall: ops.finishInstall,
      expireAccessTokens: ops.expireAccessTokens,
      revokeTokens: ops.revokeTokens,
      injectFault: ops.injectFault,
      clearFaults: ops.clearFaults,
      calls: () => [...state.calls],
      chat: (id) => {
        const chat = state.chats.get(id);
        return chat ? presentChat(chat) : undefined;
      },
      generalChatId: () => GENERAL_CHAT_ID,
      stats: ops.stats,
      sendUninstallEvent: ops.uninstall,
      sendInstallEvent: ops.installEvent,
      isInstalled: () => state.installed,
      reset: ops.reset,
      state,
    });
  }

  return {
    oauthUrl,
    portals,
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
