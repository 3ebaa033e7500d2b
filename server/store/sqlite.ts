import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { createKeyedMutex } from './keyed-mutex';
import { boundedAuditEntry } from './audit-entry';
import { readMigrations } from './migrations';
import { sqliteAvatarChanges } from './sqlite-avatar-changes';
import { sqliteEventWork } from './sqlite-event-work';
import { sqliteLearntCapabilities } from './sqlite-learnt-capabilities';
import type { TokenCipher } from './token-cipher';
import type {
  SetupProblem,
  AuditEntry,
  AuditQuery,
  Portal,
  PortalInstall,
  PortalSettings,
  SessionRecords,
  Store,
  TokenOwner,
  TokenSet,
} from './store';

// The embedded store: one file, one process. WAL lets readers run beside the writer; the
// token lock is an in-process mutex because a SQLite file is not shared between instances
// (for several instances, use PostgreSQL).

interface PortalRow {
  member_id: string;
  domain: string;
  client_endpoint: string;
  server_endpoint: string;
  application_token: string | null;
  scope: string;
  status: string;
  state: 'installed' | 'uninstalled';
  installed_at: number;
  uninstalled_at: number | null;
  bot_id: number | null;
  last_refresh_at: number | null;
  last_refresh_ok: number | null;
  setup_problems: string;
}

interface TokenRow {
  access_token: string;
  refresh_token: string;
  expires_at: number;
}

interface AuditRow {
  member_id: string;
  user_id: number;
  user_name: string | null;
  chat_id: number;
  result: 'ok' | 'error';
  error_code: string | null;
  bytes: number | null;
  duration_ms: number;
  at: number;
  notes: string;
}

export function createSqliteStore(deps: { path: string; cipher: TokenCipher }): Store {
  const { cipher } = deps;
  if (deps.path !== ':memory:') createPrivateFile(deps.path);
  const db = new Database(deps.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const withLock = createKeyedMutex();

  const toPortal = (row: PortalRow): Portal => ({
    memberId: row.member_id,
    domain: row.domain,
    clientEndpoint: row.client_endpoint,
    serverEndpoint: row.server_endpoint,
    applicationToken: row.application_token === null ? null : cipher.decrypt(row.application_token),
    scope: row.scope,
    status: row.status,
    state: row.state,
    installedAt: new Date(row.installed_at),
    uninstalledAt: row.uninstalled_at === null ? null : new Date(row.uninstalled_at),
    botId: row.bot_id,
    lastRefreshAt: row.last_refresh_at === null ? null : new Date(row.last_refresh_at),
    lastRefreshOk: row.last_refresh_ok === null ? null : row.last_refresh_ok === 1,
    setupProblems: JSON.parse(row.setup_problems) as SetupProblem[],
  });
  const toTokens = (row: TokenRow): TokenSet => ({
    accessToken: cipher.decrypt(row.access_token),
    refreshToken: cipher.decrypt(row.refresh_token),
    expiresAt: row.expires_at,
  });
  const toAudit = (row: AuditRow): AuditEntry => ({
    memberId: row.member_id,
    userId: row.user_id,
    userName: row.user_name,
    chatId: row.chat_id,
    result: row.result,
    errorCode: row.error_code,
    bytes: row.bytes,
    durationMs: row.duration_ms,
    at: new Date(row.at),
    notes: row.notes ? row.notes.split(' ') : [],
  });

  let statements: ReturnType<typeof prepare> | null = null;
  const sql = () => (statements ??= prepare(db));

  const writeTokens = (owner: TokenOwner, tokens: TokenSet) =>
    sql().upsertTokens.run({
      member_id: owner.memberId,
      user_id: owner.userId,
      access_token: cipher.encrypt(tokens.accessToken),
      refresh_token: cipher.encrypt(tokens.refreshToken),
      expires_at: tokens.expiresAt,
      updated_at: Date.now(),
    });
  const readTokens = (owner: TokenOwner): TokenSet | null => {
    const row = sql().findTokens.get(owner.memberId, owner.userId) as TokenRow | undefined;
    return row ? toTokens(row) : null;
  };

  const insertAudit = (written: AuditEntry) => {
    const entry = boundedAuditEntry(written);
    return sql().addAudit.run({
      member_id: entry.memberId,
      user_id: entry.userId,
      user_name: entry.userName,
      chat_id: entry.chatId,
      result: entry.result,
      error_code: entry.errorCode,
      bytes: entry.bytes,
      duration_ms: Math.round(entry.durationMs),
      at: entry.at.getTime(),
      notes: (entry.notes ?? []).join(' '),
    });
  };

  const sessions: SessionRecords = {
    async get(sid) {
      const row = sql().getSession.get(sid, Date.now()) as { data: string } | undefined;
      return row ? (JSON.parse(row.data) as unknown) : null;
    },
    async set(sid, data, expiresAt) {
      sql().setSession.run(sid, JSON.stringify(data), expiresAt.getTime());
    },
    async touch(sid, expiresAt) {
      sql().touchSession.run(expiresAt.getTime(), sid);
    },
    async destroy(sid) {
      sql().destroySession.run(sid);
    },
    async prune(now) {
      return sql().pruneSessions.run(now.getTime()).changes;
    },
  };

  return {
    kind: 'sqlite',
    async migrate() {
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      );
      const applied = new Set(
        (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
      );
      for (const migration of readMigrations('sqlite')) {
        if (applied.has(migration.version)) continue;
        db.transaction(() => {
          db.exec(migration.sql);
          db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
            migration.version,
            migration.name,
            Date.now(),
          );
        })();
      }
      statements = prepare(db);
    },
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      db.close();
    },

    async savePortal(install: PortalInstall, at: Date) {
      sql().upsertPortal.run({
        member_id: install.memberId,
        domain: install.domain,
        client_endpoint: install.clientEndpoint,
        server_endpoint: install.serverEndpoint,
        application_token: install.applicationToken === null ? null : cipher.encrypt(install.applicationToken),
        scope: install.scope,
        status: install.status,
        installed_at: at.getTime(),
      });
      return toPortal(sql().findPortal.get(install.memberId) as PortalRow);
    },
    async findPortalByMemberId(memberId) {
      const row = sql().findPortal.get(memberId) as PortalRow | undefined;
      return row ? toPortal(row) : null;
    },
    async findPortalByDomain(domain) {
      const row = sql().findPortalByDomain.get(domain.toLowerCase()) as PortalRow | undefined;
      return row ? toPortal(row) : null;
    },
    async markPortalUninstalled(memberId, at) {
      db.transaction(() => {
        sql().uninstallPortal.run(at.getTime(), memberId);
        sql().deleteTokens.run(memberId);
      })();
    },
    async setPortalBot(memberId, botId) {
      sql().setBot.run(botId, memberId);
    },
    async setSetupProblem(memberId, step, problem) {
      db.transaction(() => {
        const row = sql().findPortal.get(memberId) as PortalRow | undefined;
        if (!row) return;
        const others = (JSON.parse(row.setup_problems) as SetupProblem[]).filter((p) => p.step !== step);
        sql().setSetupProblems.run(JSON.stringify(problem ? [problem, ...others] : others), memberId);
      })();
    },
    async recordTokenRefresh(memberId, ok, at) {
      sql().recordRefresh.run(at.getTime(), ok ? 1 : 0, memberId);
    },

    async saveTokens(owner, tokens) {
      writeTokens(owner, tokens);
    },
    async findTokens(owner) {
      return readTokens(owner);
    },
    async updateTokensLocked(owner, refresh) {
      return withLock(`${owner.memberId}/${owner.userId}`, async () => {
        const next = await refresh(readTokens(owner));
        if (next) writeTokens(owner, next);
        return next ?? readTokens(owner);
      });
    },

    async listTokenOwners(memberId, limit) {
      return (sql().tokenOwners.all(memberId, limit) as { user_id: number }[]).map((r) => r.user_id);
    },

    async findPortalsWithTokensExpiredBefore(expiredBefore) {
      return (sql().portalsWithTokensExpiredBefore.all(expiredBefore) as { member_id: string }[]).map(
        (r) => r.member_id,
      );
    },

    async getSettings(memberId) {
      const row = sql().getSettings.get(memberId) as { settings: string } | undefined;
      return row ? (JSON.parse(row.settings) as PortalSettings) : null;
    },
    async saveSettings(memberId, settings) {
      sql().saveSettings.run(memberId, JSON.stringify(settings));
    },

    async addAuditEntry(entry) {
      insertAudit(entry);
    },
    async listAuditEntries(memberId, query: AuditQuery) {
      const result = query.result ?? null;
      const rows = sql().listAudit.all(memberId, result, result, query.limit, query.offset) as AuditRow[];
      const { total } = sql().countAudit.get(memberId, result, result) as { total: number };
      return { entries: rows.map(toAudit), total };
    },
    async pruneAuditEntries(before) {
      return sql().pruneAudit.run(before.getTime()).changes;
    },

    async hitRateLimit(key, windowStart) {
      return (sql().hitRateLimit.get(key, windowStart) as { hits: number }).hits;
    },
    async pruneRateLimits(before) {
      return sql().pruneRateLimits.run(before).changes;
    },

    async resealSecrets() {
      let count = 0;
      db.transaction(() => {
        const tokens = db.prepare('SELECT member_id, user_id, access_token, refresh_token FROM tokens').all() as {
          member_id: string;
          user_id: number;
          access_token: string;
          refresh_token: string;
        }[];
        const updateTokens = db.prepare(
          'UPDATE tokens SET access_token = ?, refresh_token = ? WHERE member_id = ? AND user_id = ?',
        );
        for (const row of tokens) {
          if (!cipher.isStale(row.access_token) && !cipher.isStale(row.refresh_token)) continue;
          updateTokens.run(
            cipher.encrypt(cipher.decrypt(row.access_token)),
            cipher.encrypt(cipher.decrypt(row.refresh_token)),
            row.member_id,
            row.user_id,
          );
          count++;
        }
        const portals = db
          .prepare('SELECT member_id, application_token FROM portals WHERE application_token IS NOT NULL')
          .all() as { member_id: string; application_token: string }[];
        const updatePortal = db.prepare('UPDATE portals SET application_token = ? WHERE member_id = ?');
        for (const row of portals) {
          if (!cipher.isStale(row.application_token)) continue;
          updatePortal.run(cipher.encrypt(cipher.decrypt(row.application_token)), row.member_id);
          count++;
        }
      })();
      return count;
    },

    sessions,
    avatarChanges: sqliteAvatarChanges(db, insertAudit),
    eventWork: sqliteEventWork(db, cipher),
    capabilities: sqliteLearntCapabilities(db),
  };
}

function prepare(db: Database.Database) {
  return {
    upsertPortal: db.prepare(`
      INSERT INTO portals (member_id, domain, client_endpoint, server_endpoint, application_token, scope, status, state, installed_at)
      VALUES (@member_id, @domain, @client_endpoint, @server_endpoint, @application_token, @scope, @status, 'installed', @installed_at)
      ON CONFLICT (member_id) DO UPDATE SET
        domain = excluded.domain, client_endpoint = excluded.client_endpoint, server_endpoint = excluded.server_endpoint,
        application_token = COALESCE(excluded.application_token, portals.application_token),
        scope = excluded.scope, status = excluded.status, state = 'installed',
        installed_at = CASE WHEN portals.state = 'installed' THEN portals.installed_at ELSE excluded.installed_at END,
        uninstalled_at = NULL`),
    findPortal: db.prepare('SELECT * FROM portals WHERE member_id = ?'),
    findPortalByDomain: db.prepare(
      `SELECT * FROM portals WHERE lower(domain) = ? AND state = 'installed' ORDER BY installed_at DESC LIMIT 1`,
    ),
    uninstallPortal: db.prepare(
      `UPDATE portals SET state = 'uninstalled', uninstalled_at = ?, bot_id = NULL WHERE member_id = ?`,
    ),
    setBot: db.prepare('UPDATE portals SET bot_id = ? WHERE member_id = ?'),
    setSetupProblems: db.prepare('UPDATE portals SET setup_problems = ? WHERE member_id = ?'),
    recordRefresh: db.prepare('UPDATE portals SET last_refresh_at = ?, last_refresh_ok = ? WHERE member_id = ?'),
    upsertTokens: db.prepare(`
      INSERT INTO tokens (member_id, user_id, access_token, refresh_token, expires_at, updated_at)
      VALUES (@member_id, @user_id, @access_token, @refresh_token, @expires_at, @updated_at)
      ON CONFLICT (member_id, user_id) DO UPDATE SET
        access_token = excluded.access_token, refresh_token = excluded.refresh_token,
        expires_at = excluded.expires_at, updated_at = excluded.updated_at`),
    findTokens: db.prepare(
      'SELECT access_token, refresh_token, expires_at FROM tokens WHERE member_id = ? AND user_id = ?',
    ),
    deleteTokens: db.prepare('DELETE FROM tokens WHERE member_id = ?'),
    tokenOwners: db.prepare(
      'SELECT user_id FROM tokens WHERE member_id = ? ORDER BY user_id <> 0, updated_at DESC, user_id LIMIT ?',
    ),
    portalsWithTokensExpiredBefore: db.prepare(`
      SELECT t.member_id FROM tokens t JOIN portals p ON p.member_id = t.member_id
      WHERE t.user_id = 0 AND p.state = 'installed' AND t.expires_at < ? ORDER BY t.expires_at`),
    getSettings: db.prepare('SELECT settings FROM portal_settings WHERE member_id = ?'),
    saveSettings: db.prepare(
      'INSERT INTO portal_settings (member_id, settings) VALUES (?, ?) ON CONFLICT (member_id) DO UPDATE SET settings = excluded.settings',
    ),
    hitRateLimit: db.prepare(`
      INSERT INTO rate_limits (key, window_start, hits) VALUES (?, ?, 1)
      ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.hits + 1 ELSE 1 END,
        window_start = excluded.window_start
      RETURNING hits`),
    pruneRateLimits: db.prepare('DELETE FROM rate_limits WHERE window_start < ?'),
    addAudit: db.prepare(`
      INSERT INTO audit_log (member_id, user_id, user_name, chat_id, result, error_code, bytes, duration_ms, at, notes)
      VALUES (@member_id, @user_id, @user_name, @chat_id, @result, @error_code, @bytes, @duration_ms, @at, @notes)`),
    listAudit: db.prepare(
      'SELECT * FROM audit_log WHERE member_id = ? AND (? IS NULL OR result = ?) ORDER BY id DESC LIMIT ? OFFSET ?',
    ),
    countAudit: db.prepare('SELECT COUNT(*) AS total FROM audit_log WHERE member_id = ? AND (? IS NULL OR result = ?)'),
    pruneAudit: db.prepare('DELETE FROM audit_log WHERE at < ?'),
    getSession: db.prepare('SELECT data FROM sessions WHERE sid = ? AND expires_at > ?'),
    setSession: db.prepare(
      'INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?) ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at',
    ),
    touchSession: db.prepare('UPDATE sessions SET expires_at = ? WHERE sid = ?'),
    destroySession: db.prepare('DELETE FROM sessions WHERE sid = ?'),
    pruneSessions: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
  };
}

/**
 * The file holds encrypted tokens, the audit log and sessions: owner only (issue 10 found it
 * 0644). A new data folder is made 0700; an existing folder is left alone, since it may be
 * shared on purpose, but the database file is ours and is set to 0600 at every start. SQLite
 * gives its -wal and -shm files the database file's mode.
 */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}
