import type { ColumnType, Generated } from 'kysely';
import type { BulkItemState, BulkJobState, BulkTemplate, BulkVerdict } from './bulk-jobs';
import type { EventWorkOutcome } from './event-work';

// The tables as the store's queries see them, the same on SQLite and PostgreSQL: the pool of
// dialect.ts reads every PostgreSQL column the way SQLite answers it (BIGINT as a number,
// TIMESTAMPTZ as Unix ms, JSONB as its text, BOOLEAN as 0 or 1). Each table's columns are made
// by the migrations (migrations/), with the column kinds of dialect.ts.

declare const storedTime: unique symbol;
/**
 * A time as written to a time column, made only by `Dialect.time` or `Dialect.now`: the column is
 * TIMESTAMPTZ on PostgreSQL and Unix ms on SQLite, so a plain number must not be written to it.
 */
export type StoredTime = number & { readonly [storedTime]: true };
/** A time column: read as Unix ms. */
type Time = ColumnType<number, StoredTime, StoredTime>;
type NullableTime = ColumnType<number | null, StoredTime | null, StoredTime | null>;
/** JSON text (SQLite TEXT, PostgreSQL JSONB). */
type Json = string;
/** A column with a default, which an insert may leave out. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface PortalsTable {
  member_id: string;
  domain: string;
  client_endpoint: string;
  server_endpoint: string;
  /** Sealed with the token cipher. */
  application_token: string | null;
  scope: string;
  status: string;
  state: 'installed' | 'uninstalled';
  installed_at: Time;
  uninstalled_at: NullableTime;
  bot_id: number | null;
  last_refresh_at: NullableTime;
  /** 0 or 1 (PostgreSQL BOOLEAN). */
  last_refresh_ok: number | null;
  setup_problems: Defaulted<Json>;
}

export interface TokensTable {
  member_id: string;
  user_id: number;
  /** Sealed. */
  access_token: string;
  /** Sealed. */
  refresh_token: string;
  /** Unix ms. */
  expires_at: number;
  updated_at: Time;
}

export interface PortalSettingsTable {
  member_id: string;
  settings: Json;
}

export interface AuditLogTable {
  id: Generated<number>;
  member_id: string;
  user_id: number;
  user_name: string | null;
  chat_id: number;
  result: 'ok' | 'error';
  error_code: string | null;
  bytes: number | null;
  duration_ms: number;
  at: Time;
  /** Short words, space-separated. */
  notes: Defaulted<string>;
  /** The change of many chats the entry belongs to (bulk_jobs.id), if any. */
  job_id: Defaulted<string | null>;
  /** The Idempotency-Key of the press of Apply: one entry per press, its earlier tries as notes. */
  change_key: Defaulted<string | null>;
}

export interface SessionsTable {
  sid: string;
  data: Json;
  expires_at: Time;
}

export interface RateLimitsTable {
  key: string;
  /** Unix ms. */
  window_start: number;
  hits: number;
}

/** Times in Unix ms. */
export interface EventWorkTable {
  id: Generated<number>;
  member_id: string;
  event: string;
  installed_at: number;
  token_hash: string;
  received_at: number;
  attempts: number;
  next_attempt_at: number;
  claimed_by: string | null;
  claimed_until: number | null;
  last_error: string | null;
  done_at: number | null;
  outcome: EventWorkOutcome | null;
  last_attempt_at: number | null;
  /** ONAPPUNINSTALL's data[CLEAN]: 0 or 1 (PostgreSQL BOOLEAN). */
  clean: Defaulted<number>;
}

/** Times in Unix ms. */
export interface AvatarChangesTable {
  member_id: string;
  user_id: number;
  change_key: string;
  chat_id: number;
  state: 'sending' | 'done';
  avatar_before: string;
  avatar_after: string | null;
  /** JSON text in both databases. */
  outcome: string;
  lease_until: number;
  created_at: number;
}

export interface PortalCapabilitiesTable {
  member_id: string;
  capabilities: Json;
  learnt_at: Time;
}

/** Times as the other tables; pictures as bytes (SQLite BLOB, PostgreSQL BYTEA). */
export interface AvatarHistoryTable {
  id: Generated<number>;
  member_id: string;
  chat_id: number;
  user_id: number;
  user_name: string | null;
  at: Time;
  change_key: string;
  kind: 'change' | 'undo' | 'restore';
  link_before: string;
  link_after: string;
  before_full: Buffer | null;
  before_format: string | null;
  before_thumb: Buffer | null;
  before_missing: string | null;
  after_full: Buffer | null;
  after_format: string | null;
  after_thumb: Buffer | null;
  after_missing: string | null;
  /** The row whose picture after is this row's picture before, kept there once (its own before_* columns then empty). */
  before_set_by: Defaulted<number | null>;
  /** The bytes of its pictures and thumbnails, for the portal's budget. */
  bytes: number;
}

/** A change of many chats at once (bulk-jobs.ts); times in Unix ms. */
export interface BulkJobsTable {
  id: string;
  member_id: string;
  user_id: number;
  user_name: string | null;
  state: BulkJobState;
  template: BulkTemplate;
  /** JSON text: the template's normalised picture. */
  picture: Defaulted<string | null>;
  created_at: number;
  started_at: Defaulted<number | null>;
  finished_at: Defaulted<number | null>;
  next_run_at: number;
  waiting_for: Defaulted<string | null>;
  claimed_by: Defaulted<string | null>;
  claimed_until: Defaulted<number | null>;
  /** The job this one takes back ("Undo all"), or null. */
  undoes: Defaulted<string | null>;
}

/** One chat of a bulk job; times in Unix ms. */
export interface BulkJobItemsTable {
  job_id: string;
  chat_id: number;
  position: number;
  title: string;
  verdict: BulkVerdict;
  state: BulkItemState;
  code: string | null;
  owner_name: string | null;
  /** JSON text of the check's answer. */
  access: string | null;
  checked_at: number;
  avatar_before: Defaulted<string | null>;
  avatar_after: Defaulted<string | null>;
  /** JSON text: this chat's own normalised picture. */
  picture: Defaulted<string | null>;
  notes: Defaulted<string>;
  sent_at: Defaulted<number | null>;
}

/** The dialogs the app's bot greeted (bot-greetings.ts). */
export interface BotGreetingsTable {
  member_id: string;
  dialog_id: string;
  greeted_at: Time;
}

/** Requests to Bitrix24 and the OAuth server with their answers, redacted (request-log.ts). */
export interface RequestLogTable {
  id: Generated<number>;
  member_id: string;
  user_id: number | null;
  at: Time;
  target: 'rest' | 'oauth';
  method: string;
  status: number | null;
  outcome: string;
  ms: number;
  /** JSON text. */
  request: Json;
  answer: Json | null;
}

export interface Database {
  portals: PortalsTable;
  tokens: TokensTable;
  portal_settings: PortalSettingsTable;
  audit_log: AuditLogTable;
  sessions: SessionsTable;
  rate_limits: RateLimitsTable;
  event_work: EventWorkTable;
  avatar_changes: AvatarChangesTable;
  portal_capabilities: PortalCapabilitiesTable;
  avatar_history: AvatarHistoryTable;
  bulk_jobs: BulkJobsTable;
  bulk_job_items: BulkJobItemsTable;
  bot_greetings: BotGreetingsTable;
  request_log: RequestLogTable;
}
