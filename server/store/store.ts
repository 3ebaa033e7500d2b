import type { AuditEntry } from './audit-entry';
import type { AvatarChangeRecords } from './avatar-changes';
import type { AvatarHistoryRecords } from './avatar-history';
import type { BotGreetingRecords } from './bot-greetings';
import type { RequestLogRecords } from './request-log';
import type { EventWorkRecords } from './event-work';
import type { BulkJobRecords } from './bulk-jobs';
import type { CapabilityRecords } from './learnt-capabilities';

export type { AuditEntry } from './audit-entry';
export type { CapabilityRecords, DialogFields, LearntCapabilities, MethodPresence } from './learnt-capabilities';
// The one storage interface. Everything is asynchronous so that the PostgreSQL implementation
// (several app instances, one database) fits behind it unchanged.

export type PortalState = 'installed' | 'uninstalled';

export interface Portal {
  memberId: string;
  domain: string;
  /** REST endpoint as the OAuth server reported it; never taken from a posted DOMAIN. */
  clientEndpoint: string;
  serverEndpoint: string;
  applicationToken: string | null;
  scope: string;
  status: string;
  state: PortalState;
  installedAt: Date;
  uninstalledAt: Date | null;
  botId: number | null;
  lastRefreshAt: Date | null;
  lastRefreshOk: boolean | null;
  /** Steps of the portal's setup that Bitrix24 refused, newest first; empty when all is well. */
  setupProblems: SetupProblem[];
}

/** A setup step Bitrix24 refused: its own code, the argument it named, and its description. */
export interface SetupProblem {
  step: 'bot' | 'events' | 'placements';
  code: string;
  argument: string | null;
  description: string;
  at: string;
}

export type PortalInstall = Pick<
  Portal,
  'memberId' | 'domain' | 'clientEndpoint' | 'serverEndpoint' | 'scope' | 'status'
> & {
  applicationToken: string | null;
};

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  /** Unix time in milliseconds. */
  expiresAt: number;
}

/** userId 0 is the portal's own pair (the installing administrator's), used for app-level calls. */
export interface TokenOwner {
  memberId: string;
  userId: number;
}

export const PORTAL_TOKEN_USER = 0;

export type OutputFormatPolicy = 'auto' | 'png' | 'jpeg';
export type AccessMode = 'everyone' | 'admins' | 'users';

export interface PortalSettings {
  outputSide: number;
  outputFormat: OutputFormatPolicy;
  jpegQuality: number;
  maxUploadBytes: number;
  access: { mode: AccessMode; userIds: number[] };
  /**
   * The company's colour (`#rrggbb`, lower case), offered first wherever the page offers colours;
   * null or absent when none is set (settings saved before it existed have no such key). Kept in
   * the settings' JSON with the others, so it needs no migration.
   */
  brandColour?: string | null;
}

export interface AuditQuery {
  result?: 'ok' | 'error';
  limit: number;
  offset: number;
}

export interface SessionRecords {
  get(sid: string): Promise<unknown | null>;
  set(sid: string, data: unknown, expiresAt: Date): Promise<void>;
  touch(sid: string, expiresAt: Date): Promise<void>;
  destroy(sid: string): Promise<void>;
  prune(now: Date): Promise<number>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;

  savePortal(install: PortalInstall, at: Date): Promise<Portal>;
  findPortalByMemberId(memberId: string): Promise<Portal | null>;
  /** For the sign-in outside the portal, where the user types their Bitrix24 address. */
  findPortalByDomain(domain: string): Promise<Portal | null>;
  /** Marks the portal uninstalled and deletes every token it had, in one transaction. */
  markPortalUninstalled(memberId: string, at: Date): Promise<void>;
  setPortalBot(memberId: string, botId: number | null): Promise<void>;
  /** Replaces what is recorded for `step`: its problem, or nothing when it succeeded. */
  setSetupProblem(memberId: string, step: SetupProblem['step'], problem: SetupProblem | null): Promise<void>;
  recordTokenRefresh(memberId: string, ok: boolean, at: Date): Promise<void>;

  saveTokens(owner: TokenOwner, tokens: TokenSet): Promise<void>;
  findTokens(owner: TokenOwner): Promise<TokenSet | null>;
  /**
   * Runs `refresh` holding an exclusive lock on the owner's tokens (across instances where the
   * database allows it) with the pair as it is now; what `refresh` returns is saved before the
   * lock is released. This is how a single-use refresh token is used exactly once.
   */
  updateTokensLocked(
    owner: TokenOwner,
    refresh: (current: TokenSet | null) => Promise<TokenSet | null>,
  ): Promise<TokenSet | null>;
  /**
   * Whose pairs the store holds for a portal: the portal's own (0) first when there is one, then
   * users, the most recently stored first; at most `limit`.
   */
  listTokenOwners(memberId: string, limit: number): Promise<number[]>;
  /** Installed portals whose own pair (user 0) has an access token that expired before `expiredBefore` (Unix ms): pairs not refreshed for a while. */
  findPortalsWithTokensExpiredBefore(expiredBefore: number): Promise<string[]>;

  getSettings(memberId: string): Promise<PortalSettings | null>;
  saveSettings(memberId: string, settings: PortalSettings): Promise<void>;

  addAuditEntry(entry: AuditEntry): Promise<void>;
  listAuditEntries(memberId: string, query: AuditQuery): Promise<{ entries: AuditEntry[]; total: number }>;
  /** Deletes audit entries older than `before`, of every portal (retention); answers how many. */
  pruneAuditEntries(before: Date): Promise<number>;

  /**
   * Counts one hit for `key` in the fixed window that starts at `windowStart` (Unix ms), across
   * instances, and answers the hits of that window so far, this one included. A hit in a newer
   * window starts the count again.
   */
  hitRateLimit(key: string, windowStart: number): Promise<number>;
  /** Forgets the counters whose window started before `before` (Unix ms); answers how many. */
  pruneRateLimits(before: number): Promise<number>;

  /** Re-encrypts every stored secret sealed with an older key under the current one (key rotation). */
  resealSecrets(): Promise<number>;
  /** Avatar changes by their Idempotency-Key (avatar-changes.ts). */
  avatarChanges: AvatarChangeRecords;

  readonly sessions: SessionRecords;
  /** Events accepted from Bitrix24 whose work is done after the answer (event-work.ts). */
  readonly eventWork: EventWorkRecords;
  /** What the app learnt of each portal's Bitrix24 (learnt-capabilities.ts). */
  readonly capabilities: CapabilityRecords;
  /** Changes of many chats at once, and each chat's outcome (bulk-jobs.ts). */
  readonly bulkJobs: BulkJobRecords;
  /** The pictures each change replaced and set, for Undo, Restore and the audit log (avatar-history.ts). */
  readonly avatarHistory: AvatarHistoryRecords;
  /** The dialogs the app's bot greeted, each once (bot-greetings.ts). */
  readonly botGreetings: BotGreetingRecords;
  /** Requests to Bitrix24 and the OAuth server with their answers, redacted, for support (request-log.ts). */
  readonly requestLog: RequestLogRecords;
}
