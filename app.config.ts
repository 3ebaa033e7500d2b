// The one place that reads the environment. Everything else receives a frozen `Config`.
// README "Settings" and .env.example describe every setting read here.

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
    /** Uploads waiting for room at once, and how long each may wait before a 503 with Retry-After. */
    readonly queueLength: number;
    readonly queueWaitMs: number;
    /** A body arriving slower than this (over 10 s) is cut with 408. */
    readonly minBytesPerSecond: number;
  };
  readonly sharp: { readonly concurrency: number; readonly cacheMemoryMb: number };
  /** Images decoded at once; other uploads wait (their bytes are already bounded by the upload gate's memory budget). */
  readonly pipelineConcurrency: number;
  /** Memory for image decodes, priced from headers: the whole process's, and one image's at most. */
  readonly decodeMemory: { readonly budgetMb: number; readonly perImageMb: number };
  /** Requests a minute: unauthenticated ones per IP address, avatar uploads per portal user. */
  readonly rateLimits: { readonly perIpPerMinute: number; readonly uploadsPerUserPerMinute: number };
  readonly appTokenTtlSeconds: number;
  /** After SIGTERM, how long requests in flight may take before their connections are cut. */
  readonly shutdownGraceMs: number;
  /** null: no GET /metrics. Otherwise Prometheus must send it as a bearer token. */
  readonly metricsToken: string | null;
  /** Audit entries older than this are deleted, daily. */
  readonly auditRetentionDays: number;
  /** Total deadline of one call to Bitrix24 or the OAuth server: pacing, retries and a token refresh included. */
  readonly bitrix24TimeoutMs: number;
  /** Answers from Bitrix24 or the OAuth server longer than this are refused (a hostile portal cannot fill memory). */
  readonly bitrix24MaxAnswerBytes: number;
  /** Client-side pacing of calls per portal user, as Bitrix24's leaky bucket (limits.md). */
  readonly bitrix24RateLimit: { readonly burstLimit: number; readonly drainRate: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const DEFAULT_DEV_SECRETS = new Set(['changeme', 'secret', 'dev', 'development', 'test']);

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };
  const url = (name: string, fallback: string): string => {
    const raw = read(name) ?? fallback;
    try {
      const parsed = new URL(raw);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${name} must be an http(s) URL (got "${raw}")`);
      return fallback;
    }
  };

  const nodeEnv = read('NODE_ENV') ?? 'development';
  const env_: Config['env'] = nodeEnv === 'production' || nodeEnv === 'test' ? nodeEnv : 'development';
  const production = env_ === 'production';

  const port = integer('PORT', 3000, 0, 65535);
  const host = read('HOST') ?? (production ? '0.0.0.0' : 'localhost');
  const appBaseUrl = url('APP_BASE_URL', `http://localhost:${port}`);

  const clientId = read('B24_CLIENT_ID');
  const clientSecret = read('B24_CLIENT_SECRET');
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

  const oauthServer = url('B24_OAUTH_SERVER', 'https://oauth.bitrix.info');
  const demo = {
    oauthPort: integer('EMULATOR_OAUTH_PORT', 3010, 0, 65535),
    portalPort: integer('EMULATOR_PORTAL_PORT', 3011, 0, 65535),
  };

  const dataDir = read('DATA_DIR') ?? './data';
  const databaseUrl = read('DATABASE_URL') ?? `sqlite:${dataDir}/app.sqlite`;
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

  const sessionSecret = read('SESSION_SECRET') ?? null;
  if (sessionSecret !== null && (sessionSecret.length < 32 || DEFAULT_DEV_SECRETS.has(sessionSecret.toLowerCase()))) {
    problems.push('SESSION_SECRET must be a random string of at least 32 characters');
  } else if (sessionSecret === null && production) {
    problems.push('SESSION_SECRET is required in production');
  } else if (sessionSecret !== null && production && entropyBits([...sessionSecret]) < MIN_SECRET_BITS) {
    problems.push(
      'SESSION_SECRET is not random enough for production (repeated or patterned characters); use openssl rand -base64 48',
    );
  }

  const tokenEncryptionKeys: Buffer[] = [];
  const keyList = [read('TOKEN_ENCRYPTION_KEY'), ...(read('TOKEN_ENCRYPTION_OLD_KEYS')?.split(',') ?? [])];
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
    else if (index === 0 && production && entropyBits([...key]) < MIN_SECRET_BITS)
      problems.push(
        'TOKEN_ENCRYPTION_KEY is not random enough for production (repeated or patterned bytes); use openssl rand -base64 32',
      );
    else tokenEncryptionKeys.push(key);
  });
  if (tokenEncryptionKeys.length > 0 && read('TOKEN_ENCRYPTION_KEY') === undefined) {
    problems.push('TOKEN_ENCRYPTION_OLD_KEYS needs TOKEN_ENCRYPTION_KEY (the key new values are encrypted with)');
  }

  // An on-premise portal on plain http:// sends its tokens, and receives ours, in clear: in
  // production only a setting whose name says so lets the app talk to one.
  const httpPortalsInProduction = bool('DANGEROUSLY_ALLOW_HTTP_PORTALS_IN_PRODUCTION', false);
  const allowHttpPortals = bool('B24_ALLOW_HTTP_PORTALS', false) || httpPortalsInProduction;
  if (allowHttpPortals && production && !httpPortalsInProduction) {
    problems.push(
      'B24_ALLOW_HTTP_PORTALS must be false in production (it exists for the local emulator); an on-premise portal on plain http:// needs DANGEROUSLY_ALLOW_HTTP_PORTALS_IN_PRODUCTION=true, and its tokens then cross the network in clear',
    );
  }
  if (production && !appBaseUrl.startsWith('https://'))
    problems.push('APP_BASE_URL must be an https:// URL in production (Bitrix24 calls it)');

  const metricsToken = read('METRICS_TOKEN') ?? null;
  if (metricsToken !== null && metricsToken.length < 16)
    problems.push('METRICS_TOKEN must be at least 16 characters (openssl rand -hex 24)');

  const trustProxyRaw = read('TRUST_PROXY');
  let trustProxy: Config['trustProxy'] = false;
  if (trustProxyRaw !== undefined) {
    if (/^(true|false)$/i.test(trustProxyRaw)) trustProxy = trustProxyRaw.toLowerCase() === 'true';
    else if (/^\d+$/.test(trustProxyRaw)) trustProxy = Number(trustProxyRaw);
    else trustProxy = trustProxyRaw; // a list of addresses or subnets, as express accepts
  }

  const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  const logLevelRaw = read('LOG_LEVEL') ?? (env_ === 'test' ? 'silent' : 'info');
  const logLevel = (logLevels as readonly string[]).includes(logLevelRaw)
    ? (logLevelRaw as Config['logLevel'])
    : 'info';
  if (logLevel !== logLevelRaw)
    problems.push(`LOG_LEVEL must be one of ${logLevels.join(', ')} (got "${logLevelRaw}")`);

  // 224 MB for one image keeps its peak RSS rise under 256 MB (measured in
  // test/avatar/pipeline-memory.test.ts); the budget lets two such decodes run at once.
  const decodeBudgetMb = integer('DECODE_MEMORY_MB', 512, 64, 65536);
  const imageDecodeMb = integer('IMAGE_DECODE_MEMORY_MB', 224, 32, 65536);
  if (imageDecodeMb > decodeBudgetMb)
    problems.push(`IMAGE_DECODE_MEMORY_MB (${imageDecodeMb}) must not exceed DECODE_MEMORY_MB (${decodeBudgetMb})`);

  const config: Config = {
    env: env_,
    port,
    host,
    appBaseUrl,
    bitrix24,
    demo,
    oauthServer,
    database,
    dataDir,
    sessionSecret,
    tokenEncryptionKeys,
    allowHttpPortals,
    trustProxy,
    logLevel,
    uploads: uploadSettings(integer, problems),
    sharp: {
      concurrency: integer('SHARP_CONCURRENCY', 1, 1, 64),
      // Off by default: each upload is a new input, so libvips' operation cache never hits, and
      // it kept decoded images alive past their decode (8 decodes in a row: +586 MB instead of +299).
      cacheMemoryMb: integer('SHARP_CACHE_MB', 0, 0, 4096),
    },
    pipelineConcurrency: integer('PIPELINE_CONCURRENCY', 2, 1, 64),
    decodeMemory: { budgetMb: decodeBudgetMb, perImageMb: imageDecodeMb },
    rateLimits: {
      // Generous per address: an office behind one NAT opens the app from many browsers at once.
      perIpPerMinute: integer('RATE_LIMIT_PER_IP', 300, 1, 1_000_000),
      uploadsPerUserPerMinute: integer('RATE_LIMIT_UPLOADS_PER_USER', 30, 1, 1_000_000),
    },
    appTokenTtlSeconds: integer('APP_TOKEN_TTL_SECONDS', 1800, 60, 86400),
    // Docker waits 10 s after SIGTERM by default; compose.yaml gives 30 s.
    shutdownGraceMs: integer('SHUTDOWN_GRACE_MS', 20000, 0, 600000),
    metricsToken,
    auditRetentionDays: integer('AUDIT_RETENTION_DAYS', 365, 1, 36500),
    bitrix24TimeoutMs: integer('B24_TIMEOUT_MS', 15000, 100, 120000),
    bitrix24MaxAnswerBytes: integer('B24_MAX_ANSWER_BYTES', 4 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
    // limits.md: 50 and 2 per second on most tariffs, 250 and 5 on Enterprise.
    bitrix24RateLimit: {
      burstLimit: integer('B24_RATE_BURST', 50, 1, 100000),
      drainRate: integer('B24_RATE_DRAIN', 2, 1, 100000),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

const MB = 1024 * 1024;
/** Multipart boundaries, part headers and the crop field on top of the file (see upload-gate.ts). */
export const UPLOAD_ENVELOPE_BYTES = 64 * 1024;

function uploadSettings(
  integer: (name: string, fallback: number, min: number, max: number) => number,
  problems: string[],
): Config['uploads'] {
  const maxBytes = integer('MAX_UPLOAD_BYTES', 25 * MB, 1024, 200 * MB);
  // Two uploads of the largest size fit by default, and any number of small ones up to the count.
  const defaultMemoryMb = Math.max(64, Math.ceil((2 * (maxBytes + UPLOAD_ENVELOPE_BYTES)) / MB));
  const memoryBytes = integer('UPLOAD_MEMORY_MB', defaultMemoryMb, 1, 64 * 1024) * MB;
  if (memoryBytes < maxBytes + UPLOAD_ENVELOPE_BYTES)
    problems.push(
      `UPLOAD_MEMORY_MB must hold at least one upload of MAX_UPLOAD_BYTES (${Math.ceil((maxBytes + UPLOAD_ENVELOPE_BYTES) / MB)} MB or more)`,
    );
  return {
    maxBytes,
    maxInputPixels: integer('MAX_INPUT_PIXELS', 100_000_000, 1_000_000, 1_000_000_000),
    maxInFlight: integer('UPLOADS_IN_FLIGHT', 32, 1, 1024),
    memoryBytes,
    slotsPerUser: integer('UPLOAD_SLOTS_PER_USER', 4, 1, 1024),
    slotsPerPortal: integer('UPLOAD_SLOTS_PER_PORTAL', 16, 1, 1024),
    queueLength: integer('UPLOAD_QUEUE_LENGTH', 128, 0, 100_000),
    queueWaitMs: integer('UPLOAD_QUEUE_WAIT_MS', 8000, 0, 120_000),
    minBytesPerSecond: integer('UPLOAD_MIN_BYTES_PER_SECOND', 8 * 1024, 1, 100 * MB),
  };
}

/**
 * Issue 10: production started with 40 x 'a' and an all-zero key. Shannon entropy of the
 * symbols' own distribution, times their count: a rough upper bound that catches repeated and
 * patterned values (40 x 'a': 0 bits; 'abab…': 40) while 32 random bytes give 140 or more, 32 hex
 * characters about 118 and a 48-byte base64 secret about 350.
 */
const MIN_SECRET_BITS = 96;

function entropyBits(symbols: readonly (string | number)[]): number {
  const counts = new Map<string | number, number>();
  for (const symbol of symbols) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
  let bitsPerSymbol = 0;
  for (const count of counts.values()) bitsPerSymbol -= (count / symbols.length) * Math.log2(count / symbols.length);
  return bitsPerSymbol * symbols.length;
}

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
