import { ADMIN_USER_ID } from '../../emulator/index';
import { LANGS, serverStrings } from '../../server/lang';
import { NEEDED_METHODS } from '../../server/portal/portal-capabilities';
import { startStack, type Stack } from '../support/stack';

// An on-premise Bitrix24 may lack methods or events the app needs; the Market asks that a
// solution "must work correctly in the on-premise Bitrix24" (market/preparing-to-publish/
// common-requirements.md). The install asks (method.get for each method, `events` for the
// events), and says what is missing on the install page and on the Status tab, in words.
describe('what an on-premise portal lacks, said at install and on the Status tab', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack.close();
  });

  const statusAs = async (lang: string) => {
    const { token } = await stack.open(0, ADMIN_USER_ID, { lang });
    return (await stack.http.get('/api/admin/status').set('Authorization', `Bearer ${token}`)).body;
  };

  it('names a missing method and event, with what each is for, in the administrator’s language', async () => {
    stack = await startStack({ emulator: { profile: 'onprem-old' } });
    const portal = stack.emulator.portals[0]!;
    portal.state.absent = new Set(['imbot.message.add', 'ONAPPUNINSTALL']);
    const form = portal.launch({ userId: ADMIN_USER_ID, lang: 'de' });
    const installed = await stack.post(form);
    expect(installed.status).toBe(200);
    const de = serverStrings('de').capabilities;
    const missingMethod = `imbot.message.add (${de.purposeGreeting})`;
    const missingEvent = `ONAPPUNINSTALL (${de.purposeUninstall})`;
    expect(installed.text).toContain('id="install-missing"');
    expect(installed.text).toContain(de.issueMissingMethods.replace('{methods}', missingMethod));
    expect(installed.text).toContain(de.issueMissingEvents.replace('{events}', missingEvent));
    portal.finishInstall();

    for (const lang of LANGS) {
      const words = serverStrings(lang).capabilities;
      const { capabilities } = await statusAs(lang);
      expect(capabilities.missingMethods).toEqual(['imbot.message.add']);
      expect(capabilities.missingEvents).toEqual(['ONAPPUNINSTALL']);
      const rows = new Map<string, { value: string; bad: boolean }>(
        capabilities.rows.map((row: { term: string; value: string; bad: boolean }) => [row.term, row]),
      );
      expect(rows.get(words.methodsTerm)).toEqual({
        term: words.methodsTerm,
        value: words.methodsMissing.replace('{methods}', `imbot.message.add (${words.purposeGreeting})`),
        bad: true,
      });
      expect(rows.get(words.eventsTerm)).toMatchObject({
        value: words.eventsMissing.replace('{events}', `ONAPPUNINSTALL (${words.purposeUninstall})`),
        bad: true,
      });
      expect(capabilities.issues).toEqual([
        words.issueMissingMethods.replace('{methods}', `imbot.message.add (${words.purposeGreeting})`),
        words.issueMissingEvents.replace('{events}', `ONAPPUNINSTALL (${words.purposeUninstall})`),
      ]);
    }
  });

  it('says nothing is missing on a portal that has everything: no list on the install page', async () => {
    stack = await startStack();
    const installed = await stack.install();
    expect(installed.status).toBe(200);
    expect(installed.text).not.toContain('install-missing');
    const { capabilities } = await statusAs('en');
    expect(capabilities.missingMethods).toEqual([]);
    expect(capabilities.missingEvents).toEqual([]);
  });

  it('learns from the older `methods` where method.get is missing', async () => {
    stack = await startStack({ emulator: { profile: 'onprem-old' } });
    const portal = stack.emulator.portals[0]!;
    portal.state.absent = new Set(['method.get', 'user.search']);
    expect((await stack.install()).status).toBe(200);
    const learnt = (await stack.store.capabilities.find(portal.memberId))!;
    expect(learnt.methods['user.search']).toEqual({ isExisting: false, isAvailable: false });
    expect(learnt.methods['imbot.register']).toEqual({ isExisting: true, isAvailable: true });
    expect(learnt.methods['imbot.v2.Chat.update']).toEqual({ isExisting: false, isAvailable: false });
    expect(Object.keys(NEEDED_METHODS).every((name) => learnt.methods[name] !== null)).toBe(true);
    expect(portal.calls().some((call) => call.method === 'methods')).toBe(true);
  });
});
