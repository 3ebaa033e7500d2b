import { ADMIN_USER_ID } from '../../emulator/index';
import { messageOf } from '../../server/errors';
import { LANGS, serverStrings } from '../../server/lang';
import { startStack, type Stack } from '../support/stack';

// The Status tab says in one sentence what is wrong and what the administrator can do, offers
// a repair only where one can help, keeps codes in its details, and never tells an
// administrator to ask their administrator.

/** A second administrator of the portal, besides Anna who installs the app. */
const DANA = 4;

/** Codes an administrator must not read outside the details fold. */
const CODE =
  /ONAPPUNINSTALL|IM_SIDEBAR|PORTAL_AUTH_LOST|invalid_grant|ERROR_ARGUMENT|imbot\.|user_brief|\[[A-Z_]+\]|https?:\/\//;

describe('the Status tab in words', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
    portal().state.users.set(DANA, { id: DANA, name: 'Dana', lastName: 'Admin', admin: true, email: 'd@example.com' });
    expect((await stack.install()).status).toBe(200);
  });
  afterEach(async () => {
    await stack.close();
  });
  const portal = () => stack.emulator.portals[0]!;
  const asAdmin = async (lang = 'en', user = ADMIN_USER_ID) => (await stack.open(0, user, { lang })).token;
  const status = (token: string) =>
    stack.http.get('/api/admin/status').set('Authorization', `Bearer ${token}`).set('Accept', 'application/json');
  const post = (path: string, token: string) =>
    stack.http.post(path).set('Authorization', `Bearer ${token}`).set('Accept', 'application/json');
  const inSight = (body: {
    summary: { sentence: string };
    rows: { term: string; value: string }[];
    parts: { name: string }[];
  }) => [body.summary.sentence, ...body.rows.flatMap((r) => [r.term, r.value]), ...body.parts.map((p) => p.name)];

  it('says all is well and offers no repair; the events, placements and scopes are in the details', async () => {
    const res = await status(await asAdmin('ru'));
    expect(res.body.summary).toEqual({ state: 'healthy', sentence: serverStrings('ru').status.healthy, repairs: [] });
    for (const text of inSight(res.body)) expect(text).not.toMatch(CODE);
    const details = res.body.details.map((d: { value: string }) => d.value).join('\n');
    expect(details).toContain(`ONAPPUNINSTALL → ${stack.appUrl}/events`);
    expect(details).toContain('IM_SIDEBAR →');
  });

  it('after the app lost its token: one sentence of what to do, no repair, nothing "missing", no code; in every language', async () => {
    const tokens = Object.fromEntries(await Promise.all(LANGS.map(async (lang) => [lang, await asAdmin(lang)])));
    // Anna, who installed the app, leaves: Bitrix24 refuses every token of hers, the portal's pair included.
    portal().revokeTokens(ADMIN_USER_ID);
    for (const lang of LANGS) {
      const res = await status(tokens[lang]);
      expect(res.status).toBe(200);
      expect(res.body.summary).toEqual({
        state: 'access_lost',
        sentence: serverStrings(lang).status.accessLost,
        repairs: [],
      });
      for (const text of inSight(res.body)) expect([lang, text]).toEqual([lang, expect.not.stringMatching(CODE)]);
      expect(res.body.rows.filter((r: { bad: boolean }) => r.bad)).toHaveLength(1);
      expect(res.body.details.map((d: { value: string }) => d.value)).toContain('PORTAL_AUTH_LOST');
    }
    // A repair pressed anyway (a page from before) says what the administrator can do, not whom to ask.
    const repair = await post('/api/admin/bot/repair', tokens.ua);
    expect(repair.body.error).toEqual({
      code: 'PORTAL_AUTH_LOST',
      message: messageOf('PORTAL_AUTH_LOST', 'ua', undefined, { admin: true }),
    });
    expect(repair.body.error.message).not.toBe(messageOf('PORTAL_AUTH_LOST', 'ua'));
    // What the sentence says works: another administrator opens the app, and all is well.
    const dana = await asAdmin('en', DANA);
    expect((await status(dana)).body.summary.state).toBe('healthy');
  });

  it('a step Bitrix24 refused: says so, and offers the one repair that can set it up', async () => {
    const token = await asAdmin('de');
    const record = (await stack.store.findPortalByMemberId(portal().memberId))!;
    const rest = await stack.clients().forOwner(record, 0);
    await rest.call('placement.unbind', { PLACEMENT: 'IM_SIDEBAR', HANDLER: `${stack.appUrl}/` });
    portal().injectFault({ method: 'placement.bind', error: 'ERROR_ARGUMENT', argument: 'OPTIONS', times: 1 });
    const refused = await post('/api/admin/events/rebind', token);
    expect(refused.status).toBe(502);
    expect(refused.body.error.code).toBe('SETUP_REFUSED');
    const res = await status(token);
    const words = serverStrings('de').status;
    expect(res.body.summary).toEqual({
      state: 'setup_missing',
      sentence: words.setupRefused.replace('{parts}', words.partPlacements),
      repairs: ['bindings'],
    });
    for (const text of inSight(res.body)) expect(text).not.toMatch(CODE);
    expect(res.body.details.map((d: { value: string }) => d.value).join('\n')).toContain(
      'placements: ERROR_ARGUMENT (OPTIONS)',
    );
    // Pressed again, with Bitrix24 willing: set up, and all is well.
    const repaired = await post('/api/admin/events/rebind', token);
    expect(repaired.body.summary.state).toBe('healthy');
  });

  it('tells an administrator what to do where a user is told to ask an administrator', async () => {
    for (const lang of LANGS)
      for (const code of [
        'PORTAL_AUTH_LOST',
        'PORTAL_NOT_INSTALLED',
        'BOT_ID_ERROR',
        'APP_ID_ERROR',
        'OVERLOAD_LIMIT',
      ] as const)
        expect([lang, code, messageOf(code, lang, undefined, { admin: true })]).not.toEqual([
          lang,
          code,
          messageOf(code, lang),
        ]);
    expect(messageOf('BOT_ID_ERROR', 'en', undefined, { admin: true })).not.toMatch(/administrator/i);
  });
});
