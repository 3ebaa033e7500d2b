import { Pool, type PoolClient } from 'pg';
import { readMigrations } from './migrations';
import { boundedAuditEntry } from './audit-entry';
import { postgresAvatarChanges } from './postgres-avatar-changes';
import { postgresEventWork } from './postgres-event-work';
import { postgresLearntCapabilities } from './postgres-learnt-capabilities';
import type { TokenCipher } from './token-cipher';
import type {
  AuditEntry,
  SetupProblem,
  Portal,
  PortalSettings,
  SessionRecords,
  Store,
  TokenOwner,
  TokenSet,
} from './store';

// The store for several app instances sharing one database. The token lock is a transaction-
// scoped advisory lock, so exactly one instance refreshes a given pair at a time.

interface PortalRow {
  member_id: string;
  domain: string;
  client_endpoint: string;
  server_endpoint: string;
  application_token: string | null;
  scope: string;
  status: string;
  state: 'installed' | 'uninstalled';
  installed_at: Date;
  uninstalled_at: Date | null;
  bot_id: number | null;
  last_refresh_at: Date | null;
  last_refresh_ok: boolean | null;
  setup_problems: SetupProblem[];
}

const MIGRATION_LOCK = 727_001;

export function createPostgresStore(deps: { url: string; cipher: TokenCipher; poolSize?: number }): Store {
  const { cipher } = deps;
  const pool = new Pool({ connectionString: deps.url, max: deps.poolSize ?? 10, statement_timeout: 15_000 });

  const toPortal = (row: PortalRow): Portal => ({
    memberId: row.member_id,
    domain: row.domain,
    clientEndpoint: row.client_endpoint,
    serverEndpoint: row.server_endpoint,
    applicationToken: row.application_token === null ? null : cipher.decrypt(row.application_token),
    scope: row.scope,
    status: row.status,
    state: row.state,
    installedAt: row.installed_at,
    uninstalledAt: row.uninstalled_at,
    botId: row.bot_id,
    lastRefreshAt: row.last_refresh_at,
    lastRefreshOk: row.last_refresh_ok,
    setupProblems: row.setup_problems,
  });

  const readTokens = async (db: Pool | PoolClient, owner: TokenOwner): Promise<TokenSet | null> => {
    const { rows } = await db.query<{ access_token: string; refresh_token: string; expires_at: string }>(
      'SELECT access_token, refresh_token, expires_at FROM tokens WHERE member_id = $1 AND user_id = $2',
      [owner.memberId, owner.userId],
    );
    const row = rows[0];
    return row
      ? {
          accessToken: cipher.decrypt(row.access_token),
          refreshToken: cipher.decrypt(row.refresh_token),
          expiresAt: Number(row.expires_at),
        }
      : null;
  };
  const writeTokens = (db: Pool | PoolClient, owner: TokenOwner, tokens: TokenSet) =>
    db.query(
      `INSERT INTO tokens (member_id, user_id, access_token, refresh_token, expires_at, updated_at) VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (member_id, user_id) DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token,
         expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
      [
        owner.memberId,
        owner.userId,
        cipher.encrypt(tokens.accessToken),
        cipher.encrypt(tokens.refreshToken),
        tokens.expiresAt,
      ],
    );

  const inTransaction = async <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };

  const insertAudit = (db: Pool | PoolClient, written: AuditEntry) => {
    const entry = boundedAuditEntry(written);
    return db.query(
      'INSERT INTO audit_log (member_id, user_id, user_name, chat_id, result, error_code, bytes, duration_ms, at, notes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
      [
        entry.memberId,
        entry.userId,
        entry.userName,
        entry.chatId,
        entry.result,
        entry.errorCode,
        entry.bytes,
        Math.round(entry.durationMs),
        entry.at,
        (entry.notes ?? []).join(' '),
      ],
    );
  };

  const sessions: SessionRecords = {
    async get(sid) {
      const { rows } = await pool.query<{ data: unknown }>(
        'SELECT data FROM sessions WHERE sid = $1 AND expires_at > now()',
        [sid],
      );
      return rows[0]?.data ?? null;
    },
    async set(sid, data, expiresAt) {
      await pool.query(
        'INSERT INTO sessions (sid, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at',
        [sid, JSON.stringify(data), expiresAt],
      );
    },
    async touch(sid, expiresAt) {
      await pool.query('UPDATE sessions SET expires_at = $1 WHERE sid = $2', [expiresAt, sid]);
    },
    async destroy(sid) {
      await pool.query('DELETE FROM sessions WHERE sid = $1', [sid]);
    },
    async prune(now) {
      return (await pool.query('DELETE FROM sessions WHERE expires_at <= $1', [now])).rowCount ?? 0;
    },
  };

  return {
    kind: 'postgres',
    async migrate() {
      await inTransaction(async (client) => {
        // Several instances may start at once: one migrates, the others wait for it.
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)',
        );
        const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
        const applied = new Set(rows.map((r) => r.version));
        for (const migration of readMigrations('postgres')) {
          if (applied.has(migration.version)) continue;
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [
            migration.version,
            migration.name,
          ]);
        }
      });
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },

    async savePortal(install, at) {
      const { rows } = await pool.query<PortalRow>(
        `INSERT INTO portals (member_id, domain, client_endpoint, server_endpoint, application_token, scope, status, state, installed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'installed', $8)
         ON CONFLICT (member_id) DO UPDATE SET
           domain = excluded.domain, client_endpoint = excluded.client_endpoint, server_endpoint = excluded.server_endpoint,
           application_token = COALESCE(excluded.application_token, portals.application_token),
           scope = excluded.scope, status = excluded.status, state = 'installed',
           installed_at = CASE WHEN portals.state = 'installed' THEN portals.installed_at ELSE excluded.installed_at END,
           uninstalled_at = NULL
         RETURNING *`,
        [
          install.memberId,
          install.domain,
          install.clientEndpoint,
          install.serverEndpoint,
          install.applicationToken === null ? null : cipher.encrypt(install.applicationToken),
          install.scope,
          install.status,
          at,
        ],
      );
      return toPortal(rows[0]!);
    },
    async findPortalByMemberId(memberId) {
      const { rows } = await pool.query<PortalRow>('SELECT * FROM portals WHERE member_id = $1', [memberId]);
      return rows[0] ? toPortal(rows[0]) : null;
    },
    async findPortalByDomain(domain) {
      const { rows } = await pool.query<PortalRow>(
        `SELECT * FROM portals WHERE lower(domain) = lower($1) AND state = 'installed' ORDER BY installed_at DESC LIMIT 1`,
        [domain],
      );
      return rows[0] ? toPortal(rows[0]) : null;
    },
    async markPortalUninstalled(memberId, at) {
      await inTransaction(async (client) => {
        await client.query(
          `UPDATE portals SET state = 'uninstalled', uninstalled_at = $1, bot_id = NULL WHERE member_id = $2`,
          [at, memberId],
        );
        await client.query('DELETE FROM tokens WHERE member_id = $1', [memberId]);
      });
    },
    async setPortalBot(memberId, botId) {
      await pool.query('UPDATE portals SET bot_id = $1 WHERE member_id = $2', [botId, memberId]);
    },
    async setSetupProblem(memberId, step, problem) {
      // One statement, so that two instances repairing at once cannot lose each other's steps.
      await pool.query(
        `UPDATE portals SET setup_problems = COALESCE($3::jsonb, '[]'::jsonb) || COALESCE((SELECT jsonb_agg(p) FROM jsonb_array_elements(setup_problems) p WHERE p->>'step' <> $2), '[]'::jsonb)
         WHERE member_id = $1`,
        [memberId, step, problem ? JSON.stringify([problem]) : null],
      );
    },
    async recordTokenRefresh(memberId, ok, at) {
      await pool.query('UPDATE portals SET last_refresh_at = $1, last_refresh_ok = $2 WHERE member_id = $3', [
        at,
        ok,
        memberId,
      ]);
    },

    async saveTokens(owner, tokens) {
      await writeTokens(pool, owner, tokens);
    },
    async findTokens(owner) {
      return readTokens(pool, owner);
    },
    async updateTokensLocked(owner, refresh) {
      return inTransaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
          `tokens/${owner.memberId}/${owner.userId}`,
        ]);
        const next = await refresh(await readTokens(client, owner));
        if (next) await writeTokens(client, owner, next);
        return next ?? (await readTokens(client, owner));
      });
    },

    async listTokenOwners(memberId, limit) {
      const { rows } = await pool.query<{ user_id: number }>(
        'SELECT user_id FROM tokens WHERE member_id = $1 ORDER BY user_id <> 0, updated_at DESC, user_id LIMIT $2',
        [memberId, limit],
      );
      return rows.map((r) => Number(r.user_id));
    },

    async findPortalsWithTokensExpiredBefore(expiredBefore) {
      const { rows } = await pool.query<{ member_id: string }>(
        `SELECT t.member_id FROM tokens t JOIN portals p ON p.member_id = t.member_id
         WHERE t.user_id = 0 AND p.state = 'installed' AND t.expires_at < $1 ORDER BY t.expires_at`,
        [expiredBefore],
      );
      return rows.map((r) => r.member_id);
    },

    async getSettings(memberId) {
      const { rows } = await pool.query<{ settings: PortalSettings }>(
        'SELECT settings FROM portal_settings WHERE member_id = $1',
        [memberId],
      );
      return rows[0]?.settings ?? null;
    },
    async saveSettings(memberId, settings) {
      await pool.query(
        'INSERT INTO portal_settings (member_id, settings) VALUES ($1, $2) ON CONFLICT (member_id) DO UPDATE SET settings = excluded.settings',
        [memberId, JSON.stringify(settings)],
      );
    },

    async addAuditEntry(entry) {
      await insertAudit(pool, entry);
    },
    async listAuditEntries(memberId, query) {
      const result = query.result ?? null;
      const { rows } = await pool.query<{
        member_id: string;
        user_id: number;
        user_name: string | null;
        chat_id: string;
        result: 'ok' | 'error';
        error_code: string | null;
        bytes: number | null;
        duration_ms: number;
        at: Date;
        notes: string;
      }>(
        'SELECT * FROM audit_log WHERE member_id = $1 AND ($2::text IS NULL OR result = $2) ORDER BY id DESC LIMIT $3 OFFSET $4',
        [memberId, result, query.limit, query.offset],
      );
      const count = await pool.query<{ total: string }>(
        'SELECT COUNT(*) AS total FROM audit_log WHERE member_id = $1 AND ($2::text IS NULL OR result = $2)',
        [memberId, result],
      );
      const entries: AuditEntry[] = rows.map((r) => ({
        memberId: r.member_id,
        userId: r.user_id,
        userName: r.user_name,
        chatId: Number(r.chat_id),
        result: r.result,
        errorCode: r.error_code,
        bytes: r.bytes,
        durationMs: r.duration_ms,
        at: r.at,
        notes: r.notes ? r.notes.split(' ') : [],
      }));
      return { entries, total: Number(count.rows[0]?.total ?? 0) };
    },
    async pruneAuditEntries(before) {
      const { rowCount } = await pool.query('DELETE FROM audit_log WHERE at < $1', [before]);
      return rowCount ?? 0;
    },

    async hitRateLimit(key, windowStart) {
      // One statement: the row lock of the upsert makes concurrent hits from several instances count one by one.
      const { rows } = await pool.query<{ hits: number }>(
        `INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (key) DO UPDATE SET
           hits = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.hits + 1 ELSE 1 END,
           window_start = excluded.window_start
         RETURNING hits`,
        [key, windowStart],
      );
      return rows[0]!.hits;
    },
    async pruneRateLimits(before) {
      const { rowCount } = await pool.query('DELETE FROM rate_limits WHERE window_start < $1', [before]);
      return rowCount ?? 0;
    },

    async resealSecrets() {
      return inTransaction(async (client) => {
        let count = 0;
        const tokens = await client.query<{
          member_id: string;
          user_id: number;
          access_token: string;
          refresh_token: string;
        }>('SELECT member_id, user_id, access_token, refresh_token FROM tokens FOR UPDATE');
        for (const row of tokens.rows) {
          if (!cipher.isStale(row.access_token) && !cipher.isStale(row.refresh_token)) continue;
          await client.query(
            'UPDATE tokens SET access_token = $1, refresh_token = $2 WHERE member_id = $3 AND user_id = $4',
            [
              cipher.encrypt(cipher.decrypt(row.access_token)),
              cipher.encrypt(cipher.decrypt(row.refresh_token)),
              row.member_id,
              row.user_id,
            ],
          );
          count++;
        }
        const portals = await client.query<{ member_id: string; application_token: string }>(
          'SELECT member_id, application_token FROM portals WHERE application_token IS NOT NULL FOR UPDATE',
        );
        for (const row of portals.rows) {
          if (!cipher.isStale(row.application_token)) continue;
          await client.query('UPDATE portals SET application_token = $1 WHERE member_id = $2', [
            cipher.encrypt(cipher.decrypt(row.application_token)),
            row.member_id,
          ]);
          count++;
        }
        return count;
      });
    },

    sessions,
    avatarChanges: postgresAvatarChanges(pool, inTransaction, insertAudit),
    eventWork: postgresEventWork(pool, inTransaction, cipher),
    capabilities: postgresLearntCapabilities(pool),
  };
}
