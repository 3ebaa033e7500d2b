import type { Logger } from 'pino';
import type { AppMetrics } from './metrics';
import type { Config } from '../../app.config';
import type { ChatAccess } from '../chats/chat-permission';
import type { ChatLister } from '../chats/list-chats';
import type { SettingsService } from '../settings/settings-service';
import type { UserDirectory } from '../settings/user-directory';
import type { AuthorizeChatChange, ReplayChatChange, UpdateChatAvatar } from '../chats/update-chat-avatar';
import type { HandleEvent } from '../bitrix24/events';
import type { GrantRequestLimits } from '../bitrix24/grant-limits';
import type { InstallPortal } from '../bitrix24/install';
import type { OAuthServerClient } from '../bitrix24/oauth-client';
import type { PortalClients } from '../bitrix24/portal-clients';
import type { PortalCapabilities } from '../bitrix24/portal-capabilities';
import type { PortalSetup } from '../bitrix24/portal-setup';
import type { Portal, PortalSettings, Store } from '../store/store';
import type { AppTokens } from './app-token';
import type { StaticAssets } from './static-assets';
import type { Views } from './views';
import type { OpenApp } from '../settings/open-app';

/** Everything the routes use, built once by server/main.ts (or by a test) and passed in. */
export interface AppRouteDeps {
  config: Pick<Config, 'appBaseUrl' | 'uploads' | 'trustProxy' | 'env' | 'rateLimits' | 'bitrix24QueueWaitMs'> & {
    clientId: string;
  };
  log: Logger;
  store: Store;
  appTokens: AppTokens;
  openApp: OpenApp;
  installPortal: InstallPortal;
  handleEvent: HandleEvent;
  oauth: OAuthServerClient;
  /** Requests that would make the app trade a code or refresh token: limited by address and portal. */
  grantRequests: GrantRequestLimits;
  portalSetup: PortalSetup;
  /** What each portal's Bitrix24 has, learnt at install and on Repair (the Status tab). */
  capabilities: PortalCapabilities;
  settings: SettingsService;
  /** The portal's users by name (user.search), for the access list. */
  users: UserDirectory;
  mayUseApp: (settings: PortalSettings, user: { id: number; isAdmin: boolean }) => boolean;
  chats: ChatLister;
  updateChatAvatar: UpdateChatAvatar;
  /** How long the portal's REST calls wait for their turn (the page's status line, the upload gate). */
  portalQueue: Pick<PortalClients, 'queueWait'>;
  authorizeChatChange: AuthorizeChatChange;
  replayChatChange: ReplayChatChange;
  /** What the user may do with a chat before Apply: refused (403), or who does the change and how. */
  chatAccess: (portal: Portal, userId: number, chatId: number) => Promise<ChatAccess>;
  views: Views;
  /** Scripts and styles under content-hashed URLs, compressed. */
  assets: StaticAssets;
  sessionSecret: string;
  /** Upload admission and queue figures go here when set (GET /metrics). */
  metrics?: AppMetrics;
}
