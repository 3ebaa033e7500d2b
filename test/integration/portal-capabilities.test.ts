import { ADMIN_USER_ID, PORTAL_PROFILES, type PortalProfile } from '../../emulator/index';
import {
  createPortalCapabilities,
  NEEDED_METHODS,
  type PortalCapabilities,
} from '../../server/portal/portal-capabilities';
import { LANGS, serverStrings } from '../../server/lang';
import type { LearntCapabilities, Portal } from '../../server/store/store';
import { installedStack, startStack, type InstalledStack, type Stack } from '../support/stack';

// Bitrix24 is several: what the app learns of each portal at install (one batch: method.get,
// scope, im.recent.list + im.dialog.get), keeps, shows on the Status tab, and learns again.

const V2 = 'imbot.v2.Chat.update';
const OLD = 'imbot.chat.updateAvatar';

interface Expected {
  v2: { isExisting: boolean; isAvailable: boolean };
  changeMethod: string;
  dialogFields: LearntCapabilities['dialogFields'];
}
const EXPECTED: Record<PortalProfile, Expected> = {
  cloud: {
    v2: { isExisting: true, isAvailable: true },
    changeMethod: V2,
    dialogFields: { role: true, permissions: true, restrictions: true },
  },
  'cloud-no-v2': {
    v2: { isExisting: false, isAvailable: false },
    changeMethod: OLD,
    dialogFields: { role: true, permissions: true, restrictions: true },
  },
  'onprem-old': {
    v2: { isExisting: false, isAvailable: false },
    changeMethod: OLD,
    dialogFields: { role: false, permissions: false, restrictions: false },
  },
};

const quietLog = { info: () => undefined, warn: () => undefined } as unknown as Parameters<
  typeof createPortalCapabilities
>[0]['log'];

async function portalOf(stack: Stack): Promise<Portal> {
  return (await stack.store.findPortalByMemberId(stack.emulator.portals[0]!.memberId))!;
}

function capabilitiesOf(stack: Stack): PortalCapabilities {
  return createPortalCapabilities({ store: stack.store, clients: stack.clients(), log: quietLog });
}

describe.each(PORTAL_PROFILES)('what the app learns of a %s portal', (profile) => {
  let stack: InstalledStack;
  beforeAll(async () => {
    stack = await installedStack({ emulator: { profile } });
  });
  afterAll(() => stack.close());
  const expected = EXPECTED[profile];

  it('learns it at install and keeps it with the time', async () => {
    const learnt = await stack.store.capabilities.find(stack.emulator.portals[0]!.memberId);
    const present = { isExisting: true, isAvailable: true };
    expect(learnt).toEqual({
      methods: {
        [V2]: expected.v2,
        [OLD]: present,
        'im.chat.updateAvatar': present,
        ...Object.fromEntries(Object.keys(NEEDED_METHODS).map((name) => [name, present])),
      },
      scopes: ['imbot', 'im', 'user_brief', 'placement'],
      dialogFields: expected.dialogFields,
      events: { ONAPPUNINSTALL: true },
      learntAt: expect.any(Date),
    });
    expect(Date.now() - learnt!.learntAt.getTime()).toBeLessThan(60_000);
    expect(await capabilitiesOf(stack).changeMethodFor(await portalOf(stack))).toBe(expected.changeMethod);
  });

  it('asks in one request to Bitrix24, with the portal’s own token', async () => {
    const emulated = stack.emulator.portals[0]!;
    const before = emulated.stats().restCalls;
    const calls = emulated.calls().length;
    await capabilitiesOf(stack).learn(await portalOf(stack));
    expect(emulated.stats().restCalls - before).toBe(1);
    const asked = emulated.calls().slice(calls);
    expect(asked.map((c) => c.method)).toEqual([
      'scope',
      ...Array.from({ length: 3 + Object.keys(NEEDED_METHODS).length }, () => 'method.get'),
      'events',
      'im.recent.list',
      'im.dialog.get',
    ]);
    expect(asked.every((c) => c.userId === ADMIN_USER_ID)).toBe(true);
  });

  it('shows it on the Status tab in words', async () => {
    const en = serverStrings('en').capabilities;
    const res = await stack.http.get('/api/admin/status').set('Authorization', `Bearer ${stack.tokens[ADMIN_USER_ID]}`);
    expect(res.status).toBe(200);
    const { capabilities } = res.body;
    expect(capabilities).toMatchObject({ changeMethod: expected.changeMethod, issues: [] });
    const values = capabilities.rows.map((r: { value: string }) => r.value);
    expect(values[0]).toBe(profile === 'cloud' ? en.methodCurrent : en.methodNoV2);
    expect(values[1]).toBe('imbot, im, user_brief, placement');
    expect(values[2]).toBe(profile === 'onprem-old' ? en.dialogAbsent : en.dialogPresent);
    expect(values[3]).toBe(en.methodsPresent);
    expect(values[4]).toBe(en.eventsPresent.replace('{events}', 'ONAPPUNINSTALL'));
    expect(capabilities.rows[5]).toEqual({
      term: en.learntTerm,
      value: en.learntAt,
      bad: false,
      at: capabilities.learntAt,
    });
  });
});

describe('learning what a portal has', () => {
  let stack: InstalledStack | null = null;
  afterEach(async () => {
    await stack?.close();
    stack = null;
  });
  const admin = () => stack!.tokens[ADMIN_USER_ID]!;
  const status = async (lang = 'en') =>
    (
      await stack!.http
        .get('/api/admin/status')
        .set('Authorization', `Bearer ${(await stack!.open(0, ADMIN_USER_ID, { lang })).token}`)
    ).body;

  it('says so, in every language, when the app lacks a scope; imbot.v2 without its scope is not used', async () => {
    stack = await installedStack({ appScope: 'im,placement,user_basic' });
    const learnt = (await stack.store.capabilities.find(stack.emulator.portals[0]!.memberId))!;
    expect(learnt.methods[V2]).toEqual({ isExisting: true, isAvailable: false });
    expect(learnt.scopes).toEqual(['im', 'placement', 'user_basic']);
    expect(await capabilitiesOf(stack).changeMethodFor(await portalOf(stack))).toBe(OLD);
    for (const lang of LANGS) {
      const words = serverStrings(lang).capabilities;
      const { capabilities } = await status(lang);
      expect(capabilities.scopes).toEqual({ granted: ['im', 'placement', 'user_basic'], missing: ['imbot'] });
      const imbotMethods = Object.keys(NEEDED_METHODS).filter((name) => name.startsWith('imbot.'));
      const purpose = (name: string) => (name === 'imbot.message.add' ? words.purposeGreeting : words.purposeSetup);
      expect(capabilities.rows.map((r: { value: string }) => r.value)).toEqual([
        words.methodV2NotAllowed,
        words.scopesMissing.replace('{scopes}', 'im, placement, user_basic').replace('{missing}', 'imbot'),
        words.dialogPresent,
        words.methodsNotAllowed.replace('{methods}', imbotMethods.map((m) => `${m} (${purpose(m)})`).join(', ')),
        words.eventsPresent.replace('{events}', 'ONAPPUNINSTALL'),
        words.learntAt,
      ]);
      expect(capabilities.rows[1].bad).toBe(true);
      expect(capabilities.issues).toEqual([words.issueMissingScopes.replace('{missing}', 'imbot')]);
    }
  });

  it('records chat permissions as unknown when the portal’s user is in no group chat', async () => {
    stack = await installedStack({ emulator: { profile: 'onprem-old' } });
    for (const chat of stack.emulator.portals[0]!.state.chats.values())
      chat.members = chat.members.filter((id) => id !== ADMIN_USER_ID);
    const learnt = await capabilitiesOf(stack).learn(await portalOf(stack));
    expect(learnt.dialogFields).toBeNull();
    const { capabilities } = await status('de');
    expect(capabilities.dialogFields).toBe('unknown');
    expect(capabilities.rows[2].value).toBe(serverStrings('de').capabilities.dialogUnknown);
  });

  it('asks im.dialog.get once more on its own when its question in the batch was not answered', async () => {
    stack = await installedStack({ emulator: { profile: 'onprem-old' } });
    const emulated = stack.emulator.portals[0]!;
    emulated.injectFault({ method: 'im.dialog.get', error: 'INTERNAL_SERVER_ERROR', status: 500, times: 1 });
    const before = emulated.stats().restCalls;
    const learnt = await capabilitiesOf(stack).learn(await portalOf(stack));
    expect(emulated.stats().restCalls - before).toBe(2);
    expect(learnt.dialogFields).toEqual({ role: false, permissions: false, restrictions: false });
  });

  it('installs all the same when Bitrix24 does not answer the question, and asks again on the Status tab', async () => {
    const started = Object.assign(await startStack({ emulator: { profile: 'cloud-no-v2' } }), { tokens: {} });
    stack = started;
    // The install's own first batch (user.admin and app.info) goes through; the question fails.
    started.emulator.portals[0]!.injectFault({
      method: 'batch',
      error: 'ACCESS_DENIED',
      status: 403,
      times: 1,
      skip: 1,
    });
    expect((await started.install()).status).toBe(200);
    expect(await started.store.capabilities.find(started.emulator.portals[0]!.memberId)).toBeNull();
    expect(await capabilitiesOf(started).changeMethodFor(await portalOf(started))).toBe(OLD);
    const { capabilities } = await status();
    expect(capabilities.learntAt).not.toBeNull();
    expect(capabilities.rows[0].value).toBe(serverStrings('en').capabilities.methodNoV2);
  });

  it('learns again on Repair: a portal updated since gets imbot.v2.Chat.update', async () => {
    stack = await installedStack({ emulator: { profile: 'cloud-no-v2' } });
    const emulated = stack.emulator.portals[0]!;
    const first = (await stack.store.capabilities.find(emulated.memberId))!;
    emulated.state.profile = 'cloud';
    const res = await stack.http.post('/api/admin/bot/repair').set('Authorization', `Bearer ${admin()}`);
    expect(res.status).toBe(200);
    expect(res.body.capabilities.changeMethod).toBe(V2);
    expect(new Date(res.body.capabilities.learntAt).getTime()).toBeGreaterThanOrEqual(first.learntAt.getTime());
    const rebind = await stack.http.post('/api/admin/events/rebind').set('Authorization', `Bearer ${admin()}`);
    expect(rebind.body.capabilities.rows[0].value).toBe(serverStrings('en').capabilities.methodCurrent);
  });

  it('relearn: a method a call answered ERROR_METHOD_NOT_FOUND is absent, whatever method.get says', async () => {
    stack = await installedStack();
    const capabilities = capabilitiesOf(stack);
    const portal = await portalOf(stack);
    expect(await capabilities.changeMethodFor(portal)).toBe(V2);
    const learnt = await capabilities.relearn(portal, V2);
    expect(learnt?.methods[V2]).toEqual({ isExisting: false, isAvailable: false });
    expect(await capabilities.changeMethodFor(portal)).toBe(OLD);
    // A repair asks method.get afresh.
    await capabilities.learn(portal);
    expect(await capabilities.changeMethodFor(portal)).toBe(V2);
  });

  it('relearn: a portal that lost imbot.v2 goes back to the old method', async () => {
    stack = await installedStack();
    const capabilities = capabilitiesOf(stack);
    const portal = await portalOf(stack);
    stack.emulator.portals[0]!.state.profile = 'cloud-no-v2';
    expect(await capabilities.changeMethodFor(portal)).toBe(V2);
    expect((await capabilities.relearn(portal))?.methods[V2]).toEqual({ isExisting: false, isAvailable: false });
    expect(await capabilities.changeMethodFor(portal)).toBe(OLD);
  });

  it('relearn: many at once ask Bitrix24 once; when it cannot be asked, what was kept stays', async () => {
    stack = await installedStack();
    const capabilities = capabilitiesOf(stack);
    const portal = await portalOf(stack);
    const emulated = stack.emulator.portals[0]!;
    const before = emulated.stats().restCalls;
    const answers = await Promise.all(Array.from({ length: 5 }, () => capabilities.relearn(portal)));
    expect(emulated.stats().restCalls - before).toBe(1);
    expect(new Set(answers.map((a) => a?.learntAt.getTime())).size).toBe(1);
    const kept = await capabilities.learnt(portal);
    emulated.injectFault({ method: 'batch', error: 'ACCESS_DENIED', status: 403, times: 1 });
    expect(await capabilities.relearn(portal)).toBeNull();
    expect(await capabilities.learnt(portal)).toEqual(kept);
    expect(await capabilities.changeMethodFor(portal)).toBe(V2);
  });
});
