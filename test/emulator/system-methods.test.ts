import { PORTAL_PROFILES, type Emulator, type PortalProfile } from '../../emulator/index';
import { PORTAL_SCOPES } from '../../emulator/methods/app';
import { APP, rest, start, tokenFor } from './helpers';

// api-reference/common/system/method-get.md, scope.md, methods.md: what a portal says of its own
// methods and of the application's scopes, per profile (emulator/README.md, "Profiles").
describe('the system methods of an emulated portal', () => {
  let emulator: Emulator;
  afterEach(() => emulator.close());
  const portal = () => emulator.portals[0]!;
  const methodGet = async (name: unknown, auth = tokenFor(portal())) =>
    (await rest(portal(), 'method.get', name === undefined ? {} : { name }, auth)).body.result;

  const V2_PRESENT: Record<PortalProfile, boolean> = { cloud: true, 'cloud-no-v2': false, 'onprem-old': false };

  it.each(PORTAL_PROFILES)('method.get on %s: imbot.v2.chat.update as the profile has it', async (profile) => {
    emulator = await start({ profile });
    const present = V2_PRESENT[profile];
    expect(await methodGet('imbot.v2.chat.update')).toEqual({ isExisting: present, isAvailable: present });
    expect(await methodGet('imbot.chat.updateavatar')).toEqual({ isExisting: true, isAvailable: true });
    expect(await methodGet('im.chat.updateavatar')).toEqual({ isExisting: true, isAvailable: true });
    // What method.get says and what a call answers are one list.
    const call = await rest(
      portal(),
      'imbot.v2.Chat.update',
      { botId: 1, dialogId: 'chat12', fields: {} },
      tokenFor(portal()),
    );
    expect(call.body.error === 'ERROR_METHOD_NOT_FOUND').toBe(!present);
  });

  it('method.get: a method the app lacks the scope of exists but is not available', async () => {
    emulator = await start({ app: { ...APP, appUrl: 'http://localhost:9', scope: 'im,user_brief' } });
    expect(await methodGet('imbot.v2.chat.update')).toEqual({ isExisting: true, isAvailable: false });
    expect(await methodGet('imbot.chat.updateavatar')).toEqual({ isExisting: true, isAvailable: false });
    expect(await methodGet('im.chat.updateavatar')).toEqual({ isExisting: true, isAvailable: true });
    // basic methods need no scope.
    expect(await methodGet('batch')).toEqual({ isExisting: true, isAvailable: true });
    expect(await methodGet('method.get')).toEqual({ isExisting: true, isAvailable: true });
  });

  it('method.get: an unknown, missing, empty or not-lowercase name answers both false', async () => {
    emulator = await start();
    const none = { isExisting: false, isAvailable: false };
    expect(await methodGet('no.such.method')).toEqual(none);
    expect(await methodGet(undefined)).toEqual(none);
    expect(await methodGet('')).toEqual(none);
    // The page asks for the name in lowercase; the emulator does not look up any other.
    expect(await methodGet('imbot.v2.Chat.update')).toEqual(none);
    expect(await methodGet('user.current')).toEqual({ isExisting: true, isAvailable: true });
  });

  it("scope: the application's scopes; with full=true every scope of permissions.md", async () => {
    emulator = await start({ app: { ...APP, appUrl: 'http://localhost:9', scope: 'im,imbot,placement' } });
    const auth = tokenFor(portal());
    expect((await rest(portal(), 'scope', {}, auth)).body.result).toEqual(['im', 'imbot', 'placement']);
    const full = (await rest(portal(), 'scope', { full: true }, auth)).body.result as string[];
    expect(full).toEqual([...PORTAL_SCOPES]);
    expect(full).toEqual(expect.arrayContaining(['im', 'imbot', 'placement', 'user_brief', 'crm', 'sign.b2e']));
  });

  it('methods: those the app may call, every one with full=true, one scope, or the basic ones', async () => {
    emulator = await start({ profile: 'cloud-no-v2', app: { ...APP, appUrl: 'http://localhost:9', scope: 'im' } });
    const auth = tokenFor(portal());
    const list = async (params: Record<string, unknown>) =>
      (await rest(portal(), 'methods', params, auth)).body.result as string[];
    const available = await list({});
    expect(available).toEqual(expect.arrayContaining(['im.dialog.get', 'method.get', 'batch', 'scope']));
    expect(available).not.toContain('imbot.chat.updateavatar');
    const full = await list({ full: true });
    expect(full).toContain('imbot.chat.updateavatar');
    // cloud-no-v2 has no imbot.v2, whatever is asked.
    expect(full.filter((name) => name.startsWith('imbot.v2.'))).toEqual([]);
    expect(await list({ scope: 'imbot' })).toEqual(
      expect.arrayContaining(['imbot.register', 'imbot.chat.updateavatar']),
    );
    expect((await list({ scope: 'imbot' })).every((name) => name.startsWith('imbot.'))).toBe(true);
    const basic = await list({ scope: '' });
    expect(basic).toEqual(expect.arrayContaining(['app.info', 'method.get', 'user.admin']));
    expect(basic).not.toContain('im.dialog.get');
  });

  it('answers method.get inside a batch, as the app asks it', async () => {
    emulator = await start({ profile: 'onprem-old' });
    const res = await rest(
      portal(),
      'batch',
      { halt: 0, cmd: { v2: 'method.get?name=imbot.v2.chat.update', old: 'method.get?name=imbot.chat.updateavatar' } },
      tokenFor(portal()),
    );
    expect(res.body.result.result).toEqual({
      v2: { isExisting: false, isAvailable: false },
      old: { isExisting: true, isAvailable: true },
    });
  });
});
