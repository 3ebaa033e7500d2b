import { ADMIN_USER_ID, PLAIN_USER_ID } from '../../emulator/index';
import { PORTAL_TOKEN_USER } from '../../server/store/store';
import { startStack, type Stack } from '../support/stack';

// Every application of a portal gets tokens for the same users, and the portal takes any of them
// for a method the application's scopes allow. An administrator's token issued to another
// application of the portal must open nothing here: not the app page, not a renewed app token,
// not an install. The app asks app.info, in the batch it already sends, which application the
// token was issued to (server/bitrix24/app-identity.ts; api-reference/common/system/app-info.md).
const OTHER_APP = 'local.other.application';

describe('a token issued to another application of the portal', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
    expect((await stack.install()).status).toBe(200);
  });
  afterEach(async () => {
    await stack.close();
  });

  const portal = () => stack.emulator.portals[0]!;
  const appTokenIn = (html: string) => /<meta name="app-token" content="([^"]+)"/.exec(html)?.[1] ?? null;
  /** The form the portal posts when the app opens, with another application's pair in it. */
  const foreignLaunch = (userId: number) => {
    const form = portal().launch({ userId });
    const foreign = portal().issueTokenPair(userId, OTHER_APP);
    return { ...form, fields: { ...form.fields, AUTH_ID: foreign.accessToken, REFRESH_ID: foreign.refreshToken } };
  };

  it("opens nothing with an administrator's token of another application (POST /), and keeps nothing of it", async () => {
    const portalPairBefore = await stack.store.findTokens({ memberId: portal().memberId, userId: PORTAL_TOKEN_USER });
    // The installing administrator's own pair is refused, so the app would adopt a fresh administrator's pair.
    portal().revokeTokens(ADMIN_USER_ID);
    const form = foreignLaunch(ADMIN_USER_ID);
    const res = await stack.post(form);
    expect(res.status).toBe(401);
    expect(appTokenIn(res.text)).toBeNull();
    expect(res.text).not.toContain('app-data');
    // Neither kept as the user's pair, nor adopted as the portal's.
    expect(await stack.store.findTokens({ memberId: portal().memberId, userId: ADMIN_USER_ID })).toBeNull();
    expect(await stack.store.findTokens({ memberId: portal().memberId, userId: PORTAL_TOKEN_USER })).toEqual(
      portalPairBefore,
    );
    expect(stack.logs.join('')).toContain('token refused: issued to another application');
  });

  it("renews no app token from another application's token (POST /api/session)", async () => {
    const foreign = portal().issueAccessToken(ADMIN_USER_ID, OTHER_APP);
    const res = await stack.http
      .post('/api/session')
      .send({ memberId: portal().memberId, accessToken: foreign, expiresIn: 3600 });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('NOT_AUTHENTICATED');
    expect(res.body.appToken).toBeUndefined();

    // The app's own token, the same user: let in.
    const own = portal().issueAccessToken(ADMIN_USER_ID);
    const renewed = await stack.http
      .post('/api/session')
      .send({ memberId: portal().memberId, accessToken: own, expiresIn: 3600 });
    expect(renewed.status).toBe(200);
    expect(renewed.body.appToken).toEqual(expect.any(String));
  });

  it("a plain user's token of another application is refused too; the user's own opens the app", async () => {
    expect((await stack.post(foreignLaunch(PLAIN_USER_ID))).status).toBe(401);
    const own = await stack.open(0, PLAIN_USER_ID);
    expect(own.res.status).toBe(200);
    expect(own.token).not.toBe('');
  });

  it("installs nothing from another application's pair in the install form", async () => {
    portal().reinstall();
    const form = portal().launch({ userId: ADMIN_USER_ID });
    const foreign = portal().issueTokenPair(ADMIN_USER_ID, OTHER_APP);
    const before = await stack.store.findPortalByMemberId(portal().memberId);
    const res = await stack.post({
      ...form,
      fields: { ...form.fields, AUTH_ID: foreign.accessToken, REFRESH_ID: foreign.refreshToken },
    });
    expect(res.status).toBe(401);
    const after = await stack.store.findPortalByMemberId(portal().memberId);
    expect(after?.applicationToken).toBe(before?.applicationToken);
    expect(after?.installedAt).toEqual(before?.installedAt);
  });
});
