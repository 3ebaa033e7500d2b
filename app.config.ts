import { z } from 'zod';
import { guessesLog10, keyGuessesLog10 } from './server/secret-strength';

// The one place that reads the environment. Everything else receives a frozen `Config`.
// docs/settings.md and .env.example describe every setting read here.

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  readonly appBaseUrl: string;
  /** null: demo mode, the emulator is started beside the app. */
  readonly bitrix24: { readonly clientId: string; readonly clientSecret: string } | null;
  /** Demo mode only: where the emulator beside the app listens (its OAuth server, its portal). */
  readonly demo: { readonly oauthPort: number; readonly portalPort: number };
  readonly oauthServer: string;
  readonly database:
    { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string };
  readonly dataDir: string;
  /** null in development: generated and kept in the data folder on first start. */
  readonly sessionSecret: string | null;
  /** 32-byte keys; the first encrypts, all decrypt (rotation). Empty in development until generated. */
  readonly tokenEncryptionKeys: readonly Buffer[];
  /** http:// portals: the emulator in development; in production only an on-premise portal, by an explicit choice. */
  readonly allowHttpPortals: boolean;
  /** Host names (optionally host:port) of on-premise portals the app may reach on a private address. */
  readonly privatePortalHosts: readonly string[];
  readonly trustProxy: string | number | boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly uploads: {
    /** Server-wide ceiling of one upload; a portal's own limit can only be lower. */
    readonly maxBytes: number;
    readonly maxInputPixels: number;
    /** Uploads admitted at once, whatever their size; more wait in the queue. */
    readonly maxInFlight: number;
    /** Bytes of request bodies admitted at once (reserved by Content-Length); more wait in the queue. */
    readonly memoryBytes: number;
    readonly slotsPerUser: number;
    readonly slotsPerPortal: number;
    /** Bytes of request bodies one user, one portal, may hold at once, whatever the portal's own limit. */
    readonly memoryPerUserBytes: number;
    readonly memoryPerPortalBytes: number;
    /** Uploads waiting for room at once, and how long each may wait before a 503 with Retry-After. */
    readonly queueLength: number;
    readonly queueWaitMs: number;
    /** A body whose average since admission (after UPLOAD_GRACE_MS) falls below this is cut with 408. */
    readonly minBytesPerSecond: number;
    /** Time a body has to arrive whole after its admission: a large one must keep its size over it as its pace. */
    readonly bodyMs: number;
  };
  readonly sharp: { readonly concurrency: number; readonly cacheMemoryMb: number };
  /** Images decoded at once; other uploads wait (their bytes are already bounded by the upload gate's memory budget). */
  readonly pipelineConcurrency: number;
  /** Memory for image decodes, priced from headers: the whole process's, and one image's at most. */
  readonly decodeMemory: { readonly budgetMb: number; readonly perImageMb: number };
  /**
   * A decode running longer than this is stopped (413 IMAGE_TOO_SLOW), and one waiting for its
   * turn longer than that is refused (503 SERVER_BUSY with Retry-After).
   */
  readonly decodeTime: { readonly timeoutMs: number; readonly queueWaitMs: number };
  /**
   * Requests a minute: unauthenticated ones per IP address; avatar uploads, chat lists and
   * searches per portal user; and requests that make the app trade a code or refresh token it did
   * not ask for (the sign-in's return, the install form, ONAPPINSTALL) per address and per portal.
   */
  readonly rateLimits: {
    readonly perIpPerMinute: number;
    readonly uploadsPerUserPerMinute: number;
    /** GET /api/chats per portal user: each list or search the cache lacks costs the portal's Bitrix24 budget. */
    readonly chatListsPerUserPerMinute: number;
    readonly grantRequestsPerIpPerMinute: number;
    readonly grantRequestsPerPortalPerMinute: number;
  };
  readonly appTokenTtlSeconds: number;
  /** After SIGTERM, how long requests in flight may take before their connections are cut. */
  readonly shutdownGraceMs: number;
  /** null: no GET /metrics. Otherwise Prometheus must send it as a bearer token. */
  readonly metricsToken: string | null;
  /** Audit entries older than this are deleted, daily. */
  readonly auditRetentionDays: number;
  /**
   * Every request to Bitrix24 and the OAuth server with its answer, redacted, kept this many days
   * for support (0: not kept); `token` enables GET /request-log, the export for the deployment's
   * operator, for callers sending it as a bearer token.
   */
  readonly requestLog: { readonly days: number; readonly token: string | null };
  /**
   * The pictures each change replaces and sets (server/chats/avatar-history.ts): full ones for
   * the undo window, 64 px thumbnails for AUDIT_RETENTION_DAYS, within a byte budget per portal.
   */
  readonly avatarHistory: {
    readonly enabled: boolean;
    /** Undo is offered this long after a change, and full pictures are kept as long. */
    readonly undoWindowMs: number;
    /** A portal's pictures and thumbnails together; the oldest are dropped first. */
    readonly bytesPerPortal: number;
    /** Where a chat's avatar link may be followed, and how much and how long it may answer. */
    readonly link: { readonly extraHosts: readonly string[]; readonly maxBytes: number; readonly timeoutMs: number };
  };
  /**
   * Work of accepted events, done after the answer (server/portal/event-work.ts): how often each
   * instance looks for what is left over (also the first back-off, doubling up to 6 hours), and
   * after how many attempts Bitrix24 could not answer a record is given up.
   */
  readonly eventWork: {
    readonly intervalMs: number;
    readonly maxAttempts: number;
    /** A portal's uninstall is confirmed with Bitrix24 at most once in this time; events in between join it. */
    readonly uninstallCheckIntervalMs: number;
  };
  /**
   * Deadline of one call to Bitrix24 or the OAuth server: Bitrix24's answers, retries and a token
   * refresh included; the wait for the call's turn in the portal's queue is not.
   */
  readonly bitrix24TimeoutMs: number;
  /** Answers from Bitrix24 or the OAuth server longer than this are refused (a hostile portal cannot fill memory). */
  readonly bitrix24MaxAnswerBytes: number;
  /** Client-side pacing of calls per portal, as Bitrix24's leaky bucket (limits.md). */
  readonly bitrix24RateLimit: { readonly burstLimit: number; readonly drainRate: number };
  /** A call whose turn in the portal's queue is further away than this is refused at once (503, Retry-After). */
  readonly bitrix24QueueWaitMs: number;
  /** Code and refresh grants asked of the OAuth server per portal a minute; more are refused without asking. */
  readonly bitrix24TokenRequestsPerPortalPerMinute: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const DEFAULT_DEV_SECRETS = new Set(['changeme', 'secret', 'dev', 'development', 'test']);

/**
 * One setting as the environment gives it: trimmed, empty meaning unset, then checked by its zod
 * schema. A wrong value is reported in one line naming the setting, and its default stands in so
 * that every other setting is still checked: the administrator sees all problems at once.
 */
interface Setting<T> {
  /** The variable's name, as the report names it. */
  readonly name: string;
  readonly schema: z.ZodType<T>;
  readonly fallback: T;
  /** What the value must be, after the setting's name: "PORT must be …". */
  readonly expected: string;
}

const MB = 1024 * 1024;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const integer = <F extends number | undefined>(
  name: string,
  fallback: F,
  min: number,
  max: number,
): Setting<number | F> => ({
  name,
  schema: z.coerce.number().int().min(min).max(max),
  fallback,
  expected: `must be a whole number from ${min} to ${max}`,
});
const bool = (name: string, fallback: boolean): Setting<boolean> => ({
  name,
  schema: z.stringbool({ truthy: ['1', 'true', 'yes', 'on'], falsy: ['0', 'false', 'no', 'off'], case: 'insensitive' }),
  fallback,
  expected: 'must be true or false',
});
// new URL() rather than z.url(): z.url() refuses "http:host", which new URL() and so every
// earlier version of this file accepted.
const url = <F extends string | undefined>(name: string, fallback: F): Setting<string | F> => ({
  name,
  schema: z
    .string()
    .refine((raw) => {
      try {
        const { protocol } = new URL(raw);
        return protocol === 'http:' || protocol === 'https:';
      } catch {
        return false;
      }
    })
    .transform((raw) => raw.replace(/\/+$/, '')),
  fallback,
  expected: 'must be an http(s) URL',
});
/** Text, unset when empty; or, given a schema, a value it accepts. */
function read(name: string): Setting<string | undefined>;
function read<T>(name: string, schema: z.ZodType<T>, expected: string): Setting<T | undefined>;
function read(name: string, schema: z.ZodType<unknown> = z.string(), expected = ''): Setting<unknown> {
  return { name, schema, fallback: undefined, expected };
}

/** A comma-separated list of host names, each optionally with :port. */
const HOST_LIST = z
  .string()
  .transform((raw) =>
    raw
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
  )
  .pipe(
    z.array(z.string().regex(/^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])(?::\d{1,5})?$/)),
  );

/** Every setting app.config.ts reads, with its type, range and default. Rules between settings follow in loadConfig. */
const SETTINGS = {
  NODE_ENV: read('NODE_ENV'),
  PORT: integer('PORT', 3000, 0, 65535),
  HOST: read('HOST'),
  // Defaults to http://localhost:PORT, which needs PORT first.
  APP_BASE_URL: url('APP_BASE_URL', undefined),
  B24_CLIENT_ID: read('B24_CLIENT_ID'),
  B24_CLIENT_SECRET: read('B24_CLIENT_SECRET'),
  B24_OAUTH_SERVER: url('B24_OAUTH_SERVER', 'https://oauth.bitrix.info'),
  EMULATOR_OAUTH_PORT: integer('EMULATOR_OAUTH_PORT', 3010, 0, 65535),
  EMULATOR_PORTAL_PORT: integer('EMULATOR_PORTAL_PORT', 3011, 0, 65535),
  DATA_DIR: read('DATA_DIR'),
  DATABASE_URL: read('DATABASE_URL'),
  SESSION_SECRET: read('SESSION_SECRET'),
  TOKEN_ENCRYPTION_KEY: read('TOKEN_ENCRYPTION_KEY'),
  TOKEN_ENCRYPTION_OLD_KEYS: read('TOKEN_ENCRYPTION_OLD_KEYS'),
  DANGEROUSLY_ALLOW_HTTP_PORTALS_IN_PRODUCTION: bool('DANGEROUSLY_ALLOW_HTTP_PORTALS_IN_PRODUCTION', false),
  B24_ALLOW_HTTP_PORTALS: bool('B24_ALLOW_HTTP_PORTALS', false),
  B24_PRIVATE_PORTAL_HOSTS: read(
    'B24_PRIVATE_PORTAL_HOSTS',
    HOST_LIST,
    'must be a comma-separated list of host names, each optionally with :port (bitrix.corp.local,10.0.0.5:8443)',
  ),
  METRICS_TOKEN: read('METRICS_TOKEN'),
  REQUEST_LOG_TOKEN: read('REQUEST_LOG_TOKEN'),
  TRUST_PROXY: read('TRUST_PROXY'),
  // Defaults to silent under test, info otherwise.
  LOG_LEVEL: read('LOG_LEVEL', z.enum(LOG_LEVELS), `must be one of ${LOG_LEVELS.join(', ')}`),
  // 224 MB for one image keeps its peak RSS rise under 256 MB (measured in
  // test/avatar/pipeline-memory.test.ts); the budget lets two such decodes run at once.
  DECODE_MEMORY_MB: integer('DECODE_MEMORY_MB', 512, 64, 65536),
  IMAGE_DECODE_MEMORY_MB: integer('IMAGE_DECODE_MEMORY_MB', 224, 32, 65536),
  // The slowest ordinary image the settings admit decodes in about 3 s on one core (a noisy
  // AVIF at the format's ceiling; 2.3 s for a 100 MP JPEG to a 5000 px avatar).
  DECODE_TIMEOUT_MS: integer('DECODE_TIMEOUT_MS', 10_000, 100, 600_000),
  // Longer than one decode that runs to its deadline, so a wait behind one still gets its turn.
  DECODE_QUEUE_WAIT_MS: integer('DECODE_QUEUE_WAIT_MS', 15_000, 0, 600_000),
  MAX_UPLOAD_BYTES: integer('MAX_UPLOAD_BYTES', 25 * MB, 1024, 200 * MB),
  // Defaults to two uploads of the largest size (uploadSettings), which needs MAX_UPLOAD_BYTES first.
  UPLOAD_MEMORY_MB: integer('UPLOAD_MEMORY_MB', undefined, 1, 64 * 1024),
  MAX_INPUT_PIXELS: integer('MAX_INPUT_PIXELS', 100_000_000, 1_000_000, 1_000_000_000),
  UPLOADS_IN_FLIGHT: integer('UPLOADS_IN_FLIGHT', 32, 1, 1024),
  UPLOAD_SLOTS_PER_USER: integer('UPLOAD_SLOTS_PER_USER', 4, 1, 1024),
  UPLOAD_SLOTS_PER_PORTAL: integer('UPLOAD_SLOTS_PER_PORTAL', 16, 1, 1024),
  // Default to half of UPLOAD_MEMORY_MB per portal and a quarter of that per user, each at least
  // one upload of MAX_UPLOAD_BYTES (uploadSettings), which needs both of those first.
  UPLOAD_MEMORY_PER_PORTAL_MB: integer('UPLOAD_MEMORY_PER_PORTAL_MB', undefined, 1, 64 * 1024),
  UPLOAD_MEMORY_PER_USER_MB: integer('UPLOAD_MEMORY_PER_USER_MB', undefined, 1, 64 * 1024),
  UPLOAD_QUEUE_LENGTH: integer('UPLOAD_QUEUE_LENGTH', 128, 0, 100_000),
  UPLOAD_QUEUE_WAIT_MS: integer('UPLOAD_QUEUE_WAIT_MS', 8000, 0, 120_000),
  UPLOAD_MIN_BYTES_PER_SECOND: integer('UPLOAD_MIN_BYTES_PER_SECOND', 8 * 1024, 1, 100 * MB),
  // Node's requestTimeout gives the body this long after its check and admission (compose.ts).
  UPLOAD_BODY_SECONDS: integer('UPLOAD_BODY_SECONDS', 60, 20, 600),
  SHARP_CONCURRENCY: integer('SHARP_CONCURRENCY', 1, 1, 64),
  // Off by default: each upload is a new input, so libvips' operation cache never hits, and
  // it kept decoded images alive past their decode (8 decodes in a row: +586 MB instead of +299).
  SHARP_CACHE_MB: integer('SHARP_CACHE_MB', 0, 0, 4096),
  PIPELINE_CONCURRENCY: integer('PIPELINE_CONCURRENCY', 2, 1, 64),
  // Generous per address: an office behind one NAT opens the app from many browsers at once.
  RATE_LIMIT_PER_IP: integer('RATE_LIMIT_PER_IP', 300, 1, 1_000_000),
  RATE_LIMIT_UPLOADS_PER_USER: integer('RATE_LIMIT_UPLOADS_PER_USER', 30, 1, 1_000_000),
  // Each list or search not in the cache is a request against the portal's budget (limits.md:
  // 2 a second): one user typing and paging stays well under 30 a minute.
  RATE_LIMIT_CHAT_LISTS_PER_USER: integer('RATE_LIMIT_CHAT_LISTS_PER_USER', 30, 1, 1_000_000),
  // One sign-in, one install or one ONAPPINSTALL is one request; below B24_TOKEN_REQUESTS_PER_PORTAL,
  // so that requests from outside never take all of a portal's token requests.
  RATE_LIMIT_GRANTS_PER_IP: integer('RATE_LIMIT_GRANTS_PER_IP', 10, 1, 1_000_000),
  RATE_LIMIT_GRANTS_PER_PORTAL: integer('RATE_LIMIT_GRANTS_PER_PORTAL', 20, 1, 1_000_000),
  APP_TOKEN_TTL_SECONDS: integer('APP_TOKEN_TTL_SECONDS', 1800, 60, 86400),
  // Docker waits 10 s after SIGTERM by default; compose.yaml gives 30 s.
  SHUTDOWN_GRACE_MS: integer('SHUTDOWN_GRACE_MS', 20000, 0, 600000),
  AUDIT_RETENTION_DAYS: integer('AUDIT_RETENTION_DAYS', 365, 1, 36500),
  // The Market asks for "at least the last 3 days" (market/preparing-to-publish/common-requirements.md).
  REQUEST_LOG_DAYS: integer('REQUEST_LOG_DAYS', 3, 0, 365),
  AVATAR_HISTORY: bool('AVATAR_HISTORY', true),
  UNDO_WINDOW_MINUTES: integer('UNDO_WINDOW_MINUTES', 15, 1, 1440),
  // A thumbnail is 2 to 4 KB: thousands of changes a portal, and the full pictures of a busy hour.
  HISTORY_MB_PER_PORTAL: integer('HISTORY_MB_PER_PORTAL', 16, 1, 1024),
  B24_AVATAR_HOSTS: read(
    'B24_AVATAR_HOSTS',
    HOST_LIST,
    'must be a comma-separated list of host names, each optionally with :port (files.corp.example)',
  ),
  // Bitrix24 shows a chat's avatar resized (resize_cache): far below this.
  AVATAR_LINK_MAX_BYTES: integer('AVATAR_LINK_MAX_BYTES', 8 * MB, 64 * 1024, 64 * MB),
  AVATAR_LINK_TIMEOUT_MS: integer('AVATAR_LINK_TIMEOUT_MS', 5000, 100, 60_000),
  // 60 s, doubling per attempt up to 6 h: 20 attempts span about three days.
  EVENT_WORK_INTERVAL_MS: integer('EVENT_WORK_INTERVAL_MS', 60_000, 100, 3_600_000),
  EVENT_WORK_MAX_ATTEMPTS: integer('EVENT_WORK_MAX_ATTEMPTS', 20, 1, 1000),
  // A replayed ONAPPUNINSTALL costs at most one app.info a minute per portal.
  UNINSTALL_CHECK_INTERVAL_SECONDS: integer('UNINSTALL_CHECK_INTERVAL_SECONDS', 60, 0, 86_400),
  B24_TIMEOUT_MS: integer('B24_TIMEOUT_MS', 15000, 100, 120000),
  B24_MAX_ANSWER_BYTES: integer('B24_MAX_ANSWER_BYTES', 4 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
  // limits.md: 50 and 2 per second on most tariffs, 250 and 5 on Enterprise.
  B24_RATE_BURST: integer('B24_RATE_BURST', 50, 1, 100000),
  B24_RATE_DRAIN: integer('B24_RATE_DRAIN', 2, 1, 100000),
  // Nothing is refused that Bitrix24's limit would serve within a minute.
  B24_QUEUE_WAIT_MS: integer('B24_QUEUE_WAIT_MS', 60_000, 0, 600_000),
  // auto-renewal.md: an application that renews tokens too often "may be blocked by automation".
  // A portal's own pair is refreshed about once an hour, each user's when it is used after its hour.
  B24_TOKEN_REQUESTS_PER_PORTAL: integer('B24_TOKEN_REQUESTS_PER_PORTAL', 60, 1, 100_000),
};

type Settings = { readonly [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K]['fallback'] };

/** Each setting parsed by its schema; a wrong one leaves a problem and its default. */
function parseSettings(env: Env, problems: string[]): Settings {
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as [string, Setting<unknown>][]) {
    const raw = env[setting.name]?.trim();
    if (raw === undefined || raw === '') {
      values[key] = setting.fallback;
      continue;
    }
    const parsed = setting.schema.safeParse(raw);
    if (parsed.success) values[key] = parsed.data;
    else {
      problems.push(`${setting.name} ${setting.expected} (got "${raw}")`);
      values[key] = setting.fallback;
    }
  }
  return values as Settings;
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const s = parseSettings(env, problems);

  const nodeEnv = s.NODE_ENV ?? 'development';
  const env_: Config['env'] = nodeEnv === 'production' || nodeEnv === 'test' ? nodeEnv : 'development';
  const production = env_ === 'production';

  const port = s.PORT;
  const host = s.HOST ?? (production ? '0.0.0.0' : 'localhost');
  const appBaseUrl = s.APP_BASE_URL ?? `http://localhost:${port}`;

  const clientId = s.B24_CLIENT_ID;
  const clientSecret = s.B24_CLIENT_SECRET;
  let bitrix24: Config['bitrix24'] = null;
  if (clientId && clientSecret) bitrix24 = { clientId, clientSecret };
  else if (clientId || clientSecret)
    problems.push(
      "B24_CLIENT_ID and B24_CLIENT_SECRET must be set together (from the portal's local application form)",
    );
  else if (production)
    problems.push(
      'B24_CLIENT_ID and B24_CLIENT_SECRET are required in production (demo mode runs only in development)',
    );

  const dataDir = s.DATA_DIR ?? './data';
  const databaseUrl = s.DATABASE_URL ?? `sqlite:${dataDir}/app.sqlite`;
  let database: Config['database'] = { kind: 'sqlite', path: `${dataDir}/app.sqlite` };
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length);
    if (!path) problems.push('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/app.sqlite');
    else database = { kind: 'sqlite', path };
  } else if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    database = { kind: 'postgres', url: databaseUrl };
  } else {
    problems.push('DATABASE_URL must start with sqlite: or postgres://');
  }

  const sessionSecret = s.SESSION_SECRET ?? null;
  if (sessionSecret !== null && (sessionSecret.length < 32 || DEFAULT_DEV_SECRETS.has(sessionSecret.toLowerCase()))) {
    problems.push('SESSION_SECRET must be a random string of at least 32 characters');
  } else if (sessionSecret === null && production) {
    problems.push('SESSION_SECRET is required in production');
  } else if (sessionSecret !== null && production && guessesLog10(sessionSecret) < MIN_SECRET_GUESSES_LOG10) {
    problems.push(
      'SESSION_SECRET is not random enough for production (words, a sequence, a repeat or a keyboard walk are guessed quickly); use openssl rand -base64 48',
    );
  }

  const tokenEncryptionKeys: Buffer[] = [];
  const keyList = [s.TOKEN_ENCRYPTION_KEY, ...(s.TOKEN_ENCRYPTION_OLD_KEYS?.split(',') ?? [])];
  keyList.forEach((raw, index) => {
    if (raw === undefined) {
      if (index === 0 && production) problems.push('TOKEN_ENCRYPTION_KEY is required in production');
      return;
    }
    const key = parseKey(raw.trim());
    const name = index === 0 ? 'TOKEN_ENCRYPTION_KEY' : 'TOKEN_ENCRYPTION_OLD_KEYS';
    if (!key)
      problems.push(`${name} must be 32 random bytes, as 64 hex characters or base64 (openssl rand -base64 32)`);
    // Old keys stay accepted whatever they are: refusing a weak one would block rotating away from it.
    else if (index === 0 && production && keyGuessesLog10(key) < MIN_SECRET_GUESSES_LOG10)
      problems.push(
        'TOKEN_ENCRYPTION_KEY is not random enough for production (repeated bytes, a sequence or text); use openssl rand -base64 32',
      );
    else tokenEncryptionKeys.push(key);
  });
  if (tokenEncryptionKeys.length > 0 && s.TOKEN_ENCRYPTION_KEY === undefined) {
    problems.push('TOKEN_ENCRYPTION_OLD_KEYS needs TOKEN_ENCRYPTION_KEY (the key new values are encrypted with)');
  }

  // An on-premise portal on plain http:// sends its tokens, and receives ours, in clear: in
  // production only a setting whose name says so lets the app talk to one.
  const httpPortalsInProduction = s.DANGEROUSLY_ALLOW_HTTP_PORTALS_IN_PRODUCTION;
  const allowHttpPortals = s.B24_ALLOW_HTTP_PORTALS || httpPortalsInProduction;
  if (allowHttpPortals && production && !httpPortalsInProduction) {
    problems.push(
      'B24_ALLOW_HTTP_PORTALS must be false in production (it exists for the local emulator); an on-premise portal on plain http:// needs DANGEROUSLY_ALLOW_HTTP_PORTALS_IN_PRODUCTION=true, and its tokens then cross the network in clear',
    );
  }
  if (production && !appBaseUrl.startsWith('https://'))
    problems.push('APP_BASE_URL must be an https:// URL in production (Bitrix24 calls it)');

  const metricsToken = s.METRICS_TOKEN ?? null;
  const requestLogToken = s.REQUEST_LOG_TOKEN ?? null;
  // The request log's export holds every portal's requests: the same rules as /metrics' token.
  if (requestLogToken !== null && requestLogToken.length < 16)
    problems.push('REQUEST_LOG_TOKEN must be at least 16 characters (openssl rand -hex 24)');
  else if (requestLogToken !== null && production && guessesLog10(requestLogToken) < MIN_TOKEN_GUESSES_LOG10)
    problems.push(
      'REQUEST_LOG_TOKEN is not random enough for production (words, a sequence or a repeat are guessed quickly); use openssl rand -hex 24',
    );
  if (requestLogToken !== null && requestLogToken === metricsToken)
    problems.push('REQUEST_LOG_TOKEN must differ from METRICS_TOKEN: whoever scrapes /metrics need not read requests');
  if (metricsToken !== null && metricsToken.length < 16)
    problems.push('METRICS_TOKEN must be at least 16 characters (openssl rand -hex 24)');
  else if (metricsToken !== null && production && guessesLog10(metricsToken) < MIN_TOKEN_GUESSES_LOG10)
    problems.push(
      'METRICS_TOKEN is not random enough for production (words, a sequence or a repeat are guessed quickly); use openssl rand -hex 24',
    );

  const trustProxyRaw = s.TRUST_PROXY;
  let trustProxy: Config['trustProxy'] = false;
  if (trustProxyRaw !== undefined) {
    if (/^(true|false)$/i.test(trustProxyRaw)) trustProxy = trustProxyRaw.toLowerCase() === 'true';
    else if (/^\d+$/.test(trustProxyRaw)) trustProxy = Number(trustProxyRaw);
    else trustProxy = trustProxyRaw; // a list of addresses or subnets, as express accepts
  }

  const logLevel = s.LOG_LEVEL ?? (env_ === 'test' ? 'silent' : 'info');

  const decodeBudgetMb = s.DECODE_MEMORY_MB;
  const imageDecodeMb = s.IMAGE_DECODE_MEMORY_MB;
  if (imageDecodeMb > decodeBudgetMb)
    problems.push(`IMAGE_DECODE_MEMORY_MB (${imageDecodeMb}) must not exceed DECODE_MEMORY_MB (${decodeBudgetMb})`);

  const config: Config = {
    env: env_,
    port,
    host,
    appBaseUrl,
    bitrix24,
    demo: { oauthPort: s.EMULATOR_OAUTH_PORT, portalPort: s.EMULATOR_PORTAL_PORT },
    oauthServer: s.B24_OAUTH_SERVER,
    database,
    dataDir,
    sessionSecret,
    tokenEncryptionKeys,
    allowHttpPortals,
    privatePortalHosts: s.B24_PRIVATE_PORTAL_HOSTS ?? [],
    trustProxy,
    logLevel,
    uploads: uploadSettings(s, problems),
    sharp: { concurrency: s.SHARP_CONCURRENCY, cacheMemoryMb: s.SHARP_CACHE_MB },
    pipelineConcurrency: s.PIPELINE_CONCURRENCY,
    decodeMemory: { budgetMb: decodeBudgetMb, perImageMb: imageDecodeMb },
    decodeTime: { timeoutMs: s.DECODE_TIMEOUT_MS, queueWaitMs: s.DECODE_QUEUE_WAIT_MS },
    rateLimits: {
      perIpPerMinute: s.RATE_LIMIT_PER_IP,
      uploadsPerUserPerMinute: s.RATE_LIMIT_UPLOADS_PER_USER,
      chatListsPerUserPerMinute: s.RATE_LIMIT_CHAT_LISTS_PER_USER,
      grantRequestsPerIpPerMinute: s.RATE_LIMIT_GRANTS_PER_IP,
      grantRequestsPerPortalPerMinute: s.RATE_LIMIT_GRANTS_PER_PORTAL,
    },
    appTokenTtlSeconds: s.APP_TOKEN_TTL_SECONDS,
    shutdownGraceMs: s.SHUTDOWN_GRACE_MS,
    metricsToken,
    auditRetentionDays: s.AUDIT_RETENTION_DAYS,
    requestLog: { days: s.REQUEST_LOG_DAYS, token: requestLogToken },
    avatarHistory: {
      enabled: s.AVATAR_HISTORY,
      undoWindowMs: s.UNDO_WINDOW_MINUTES * 60_000,
      bytesPerPortal: s.HISTORY_MB_PER_PORTAL * MB,
      link: {
        extraHosts: s.B24_AVATAR_HOSTS ?? [],
        maxBytes: s.AVATAR_LINK_MAX_BYTES,
        timeoutMs: s.AVATAR_LINK_TIMEOUT_MS,
      },
    },
    eventWork: {
      intervalMs: s.EVENT_WORK_INTERVAL_MS,
      maxAttempts: s.EVENT_WORK_MAX_ATTEMPTS,
      uninstallCheckIntervalMs: s.UNINSTALL_CHECK_INTERVAL_SECONDS * 1000,
    },
    bitrix24TimeoutMs: s.B24_TIMEOUT_MS,
    bitrix24MaxAnswerBytes: s.B24_MAX_ANSWER_BYTES,
    bitrix24RateLimit: { burstLimit: s.B24_RATE_BURST, drainRate: s.B24_RATE_DRAIN },
    bitrix24QueueWaitMs: s.B24_QUEUE_WAIT_MS,
    bitrix24TokenRequestsPerPortalPerMinute: s.B24_TOKEN_REQUESTS_PER_PORTAL,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/** Multipart boundaries, part headers and the crop field on top of the file (see upload-gate.ts). */
export const UPLOAD_ENVELOPE_BYTES = 64 * 1024;
/** A body's first seconds are not judged by its pace: a connection starts slowly. */
export const UPLOAD_GRACE_MS = 10_000;

function uploadSettings(s: Settings, problems: string[]): Config['uploads'] {
  const maxBytes = s.MAX_UPLOAD_BYTES;
  const oneUpload = maxBytes + UPLOAD_ENVELOPE_BYTES;
  const oneUploadMb = Math.ceil(oneUpload / MB);
  // Two uploads of the largest size fit by default, and any number of small ones up to the count.
  const defaultMemoryMb = Math.max(64, Math.ceil((2 * oneUpload) / MB));
  const memoryMb = s.UPLOAD_MEMORY_MB ?? defaultMemoryMb;
  if (memoryMb * MB < oneUpload)
    problems.push(`UPLOAD_MEMORY_MB must hold at least one upload of MAX_UPLOAD_BYTES (${oneUploadMb} MB or more)`);
  // Half per portal leaves the other half to the rest whatever one portal sends, its
  // administrator's own file limit included; a quarter of that per user does the same inside it.
  const perPortalMb =
    s.UPLOAD_MEMORY_PER_PORTAL_MB ?? Math.min(memoryMb, Math.max(oneUploadMb, Math.floor(memoryMb / 2)));
  if (perPortalMb * MB < oneUpload || perPortalMb > memoryMb)
    problems.push(
      `UPLOAD_MEMORY_PER_PORTAL_MB must hold one upload of MAX_UPLOAD_BYTES (${oneUploadMb} MB or more) and be at most UPLOAD_MEMORY_MB (${memoryMb})`,
    );
  const perUserMb =
    s.UPLOAD_MEMORY_PER_USER_MB ?? Math.min(perPortalMb, Math.max(oneUploadMb, Math.floor(perPortalMb / 4)));
  if (perUserMb * MB < oneUpload || perUserMb > perPortalMb)
    problems.push(
      `UPLOAD_MEMORY_PER_USER_MB must hold one upload of MAX_UPLOAD_BYTES (${oneUploadMb} MB or more) and be at most UPLOAD_MEMORY_PER_PORTAL_MB (${perPortalMb})`,
    );
  return {
    maxBytes,
    maxInputPixels: s.MAX_INPUT_PIXELS,
    maxInFlight: s.UPLOADS_IN_FLIGHT,
    memoryBytes: memoryMb * MB,
    slotsPerUser: s.UPLOAD_SLOTS_PER_USER,
    slotsPerPortal: s.UPLOAD_SLOTS_PER_PORTAL,
    memoryPerUserBytes: perUserMb * MB,
    memoryPerPortalBytes: perPortalMb * MB,
    queueLength: s.UPLOAD_QUEUE_LENGTH,
    queueWaitMs: s.UPLOAD_QUEUE_WAIT_MS,
    minBytesPerSecond: s.UPLOAD_MIN_BYTES_PER_SECOND,
    bodyMs: s.UPLOAD_BODY_SECONDS * 1000,
  };
}

/**
 * How many guesses a production secret must take, as zxcvbn estimates them
 * (server/secret-strength.ts): 10^24 for the session secret and the token key (a 32-character
 * random secret or 32 random bytes estimate at 10^32, the alphabet at 10^8, `changeme` five times
 * at 10^4, key bytes 00..1f at 10^3); 10^12 for the metrics token, at least 16 characters (16
 * random hex characters estimate at 10^16, 16 x `a` at 10^2).
 */
const MIN_SECRET_GUESSES_LOG10 = 24;
const MIN_TOKEN_GUESSES_LOG10 = 12;

function parseKey(raw: string): Buffer | null {
  if (/^[0-9a-f]{64}$/i.test(raw)) return Buffer.from(raw, 'hex');
  const decoded = Buffer.from(raw, 'base64');
  return decoded.length === 32 ? decoded : null;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
