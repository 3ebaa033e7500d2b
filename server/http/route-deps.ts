import type { RequestLogExport } from '../portal/request-log-export';
import type { Logger } from 'pino';
import type { AppMetrics } from './metrics';
import type { Config } from '../../app.config';
import type { ChatAccess } from '../chats/chat-permission';
import type { ChatLister } from '../chats/list-chats';
import type { SettingsService } from '../access/settings-service';
import type { UserDirectory } from '../access/user-directory';
import type { ChatAvatarChanges } from '../chats/update-chat-avatar';
import type { PictureRestore } from '../chats/picture-restore';
import type { BulkJobs } from '../chats/bulk-jobs';
import type { BulkUndo } from '../chats/bulk-undo';
import type { AuditLog } from '../chats/audit-log';
import type { SignIn } from '../access/sign-in';
import type { PortalAdministration } from '../portal/portal-status';
import type { HandleEvent } from '../portal/events';
import type { InstallFromPage } from '../portal/install';
import type { PortalClients } from '../bitrix24/portal-clients';
import type { Portal, PortalSettings, Store } from '../store/store';
import type { AppTokens } from './app-token';
import type { StaticAssets } from './static-assets';
import type { Views } from './views';
import type { OpenApp } from '../access/open-app';

/**
 * Everything the HTTP layer uses, built once by server/compose.ts (or by a test) and passed in:
 * the use cases the routes call, and what the middleware keeps in the store (sessions, rate
 * limits, the sign-in state) and reads of the portal.
 */
export interface AppRouteDeps {
  config: Pick<Config, 'appBaseUrl' | 'uploads' | 'trustProxy' | 'env' | 'rateLimits' | 'bitrix24QueueWaitMs'> & {
    clientId: string;
    /** http:// origins of chat avatars the page may show (the emulator's CDN); https ones it may anyway. */
    avatarOrigins?: readonly string[];
  };
  log: Logger;
  store: Store;
  appTokens: AppTokens;
  openApp: OpenApp;
  installFromPage: InstallFromPage;
  handleEvent: HandleEvent;
  /** The sign-in outside the portal (GET /oauth/start, the OAuth return). */
  signIn: SignIn;
  /** The Status tab and its Repair buttons. */
  portalAdmin: PortalAdministration;
  auditLog: AuditLog;
  settings: SettingsService;
  /** The portal's users by name (user.search), for the access list. */
  users: UserDirectory;
  mayUseApp: (settings: PortalSettings, user: { id: number; isAdmin: boolean }) => boolean;
  chats: ChatLister;
  chatAvatarChanges: ChatAvatarChanges;
  /** Undo, Restore and a chat's history of pictures. */
  pictures: PictureRestore;
  /** Many chats at once: the dry run, the start, progress, pause, resume, cancel. */
  bulkJobs: BulkJobs;
  /** "Undo all" of a finished or cancelled job: a job of its own. */
  bulkUndo: BulkUndo;
  /** How long the portal's REST calls wait for their turn (the page's status line, the upload gate). */
  portalQueue: Pick<PortalClients, 'queueWait'>;
  /** What the user may do with a chat before Apply: refused (403), or who does the change and how. */
  chatAccess: (portal: Portal, userId: number, chatId: number) => Promise<ChatAccess>;
  views: Views;
  /** Scripts and styles under content-hashed URLs, compressed. */
  assets: StaticAssets;
  sessionSecret: string;
  /** Upload admission and queue figures go here when set (GET /metrics). */
  metrics?: AppMetrics;
  /** GET /request-log, mounted only when REQUEST_LOG_TOKEN is set: the token and the export. */
  requestLog?: { token: string; exportLog: RequestLogExport };
}
