import { ADMIN_USER_ID, startEmulator, type Emulator } from '../../emulator/index';
import { AppError } from '../../server/errors';
import { createInstallPortal } from '../../server/portal/install';
import type { OAuthGrant, OAuthServerClient } from '../../server/bitrix24/oauth-client';
import { createLogger } from '../../server/logger';
import { tempSqliteStore, type TempStore } from '../support/temp-store';

// The install trades the posted refresh token at the OAuth server, whose answer does not say which
// application the pair it hands back belongs to (settings/oauth/index.md, auto-renewal.md: no
// client_id among its fields). The OAuth server binds refresh tokens to the client that asks, so
// over HTTP another application's refresh token is already refused there (test/security/
// foreign-app-token.test.ts). Should an answer ever carry another application's pair, app.info,
// asked in the same batch as user.admin, refuses the install before anything is stored.
const CLIENT_ID = 'local.test.chatavatar';

describe('install: the pair must be this application’s', () => {
  let emulator: Emulator;
  let temp: TempStore;
  beforeEach(async () => {
    emulator = await startEmulator({
      app: { clientId: CLIENT_ID, clientSecret: 'secret-0123456789', appUrl: 'http://127.0.0.1:9' },
    });
    temp = await tempSqliteStore();
  });
  afterEach(async () => {
    await emulator.close();
    await temp.cleanup();
  });

  const installWith = (accessToken: string) => {
    const portal = emulator.portals[0]!;
    const grant: OAuthGrant = {
      accessToken,
      refreshToken: 'refresh',
      expiresAt: Date.now() + 3_600_000,
      memberId: portal.memberId,
      clientEndpoint: portal.restUrl,
      serverEndpoint: `${emulator.oauthUrl}/rest/`,
      scope: 'imbot,im,user_brief,placement',
      status: 'L',
      userId: ADMIN_USER_ID,
    };
    const oauth: OAuthServerClient = { refresh: async () => grant, exchangeCode: async () => grant };
    const unused = () => {
      throw new Error('not reached before the checks');
    };
    const install = createInstallPortal({
      store: temp.store,
      oauth,
      clientId: CLIENT_ID,
      clients: { forget: () => undefined } as never,
      setup: { runAll: unused } as never,
      capabilities: { learn: unused } as never,
      allowHttpPortals: true,
      timeoutMs: 5000,
      log: createLogger({ level: 'silent' }),
    });
    return install({ memberId: portal.memberId, refreshToken: 'posted', applicationToken: 'app-token' });
  };

  it("refuses an administrator's pair of another application with INSTALL_NOT_VERIFIED and stores nothing", async () => {
    const foreign = emulator.portals[0]!.issueAccessToken(ADMIN_USER_ID, 'local.other.application');
    const error = await installWith(foreign).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('INSTALL_NOT_VERIFIED');
    expect((error as AppError).detail).toContain('local.other.application');
    expect(await temp.store.findPortalByMemberId(emulator.portals[0]!.memberId)).toBeNull();
  });

  it('goes on past the check with its own pair (the next step is the setup)', async () => {
    const own = emulator.portals[0]!.issueAccessToken(ADMIN_USER_ID);
    await expect(installWith(own)).rejects.toThrow('not reached before the checks');
  });
});
