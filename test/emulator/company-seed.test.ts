import {
  COMPANY_CHAT_COUNT,
  FIRST_COMPANY_CHAT_ID,
  PLAIN_USER_ID,
  companyChatIds,
  companyChatKind,
  type Emulator,
} from '../../emulator/index';
import { rest, start, tokenFor } from './helpers';

// The company seed: a few hundred chats whose rights for Boris the tests can name.

describe('the company seed', () => {
  let emulator: Emulator;
  afterEach(() => emulator.close());

  it('is only on a portal started with it', async () => {
    emulator = await start({ portals: [{ seed: 'company' }, {}] });
    expect(emulator.portals[0]!.state.chats.has(FIRST_COMPANY_CHAT_ID + COMPANY_CHAT_COUNT - 1)).toBe(true);
    expect(emulator.portals[1]!.state.chats.has(FIRST_COMPANY_CHAT_ID)).toBe(false);
    // A reset seeds it again.
    emulator.portals[0]!.state.chats.delete(FIRST_COMPANY_CHAT_ID);
    emulator.portals[0]!.reset();
    expect(emulator.portals[0]!.state.chats.has(FIRST_COMPANY_CHAT_ID)).toBe(true);
  });

  it('gives Boris each kind of right, as im.dialog.get reports it', async () => {
    emulator = await start({ portals: [{ seed: 'company' }] });
    const portal = emulator.portals[0]!;
    const auth = tokenFor(portal, PLAIN_USER_ID);
    const seen = new Map<string, unknown>();
    for (let i = 0; i < 24; i++) {
      const kind = companyChatKind(i);
      const res = await rest(portal, 'im.dialog.get', { DIALOG_ID: `chat${FIRST_COMPANY_CHAT_ID + i}` }, auth);
      const view = res.body.result;
      seen.set(
        kind,
        res.status === 200
          ? {
              role: view.role,
              ui: view.permissions.manage_ui,
              add: view.permissions.manage_users_add,
              avatar: view.restrictions.avatar,
            }
          : res.body.error,
      );
    }
    expect(Object.fromEntries(seen)).toEqual({
      member: { role: 'member', ui: 'member', add: 'member', avatar: true },
      owner: { role: 'owner', ui: 'member', add: 'member', avatar: true },
      manager: { role: 'manager', ui: 'manager', add: 'member', avatar: true },
      'no-add': { role: 'member', ui: 'member', add: 'owner', avatar: true },
      'owner-only': { role: 'member', ui: 'owner', add: 'member', avatar: true },
      'managers-only': { role: 'member', ui: 'manager', add: 'member', avatar: true },
      outside: 'ACCESS_ERROR',
      locked: { role: 'member', ui: 'member', add: 'member', avatar: false },
    });
    expect(companyChatIds('member', 'owner', 'manager')).toHaveLength(200);
    const titles = companyChatIds('member')
      .slice(0, 17)
      .map((id) => portal.state.chats.get(id)!.title);
    expect(titles.join(' ')).toMatch(/[А-я].*[\u3040-\u30ff\u4e00-\u9fff].*[\u0600-\u06ff]/u);
  });

  it('takes a resource-intensity limit over the test API', async () => {
    emulator = await start();
    const portal = emulator.portals[0]!;
    const set = await fetch(`${portal.baseUrl}/_emulator/operating-limit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ limitSeconds: 10, costs: { 'User.Admin': 11 } }),
    });
    expect(set.status).toBe(200);
    const auth = tokenFor(portal);
    expect((await rest(portal, 'user.admin', {}, auth)).status).toBe(200);
    expect((await rest(portal, 'user.admin', {}, auth)).status).toBe(429);
    expect((await rest(portal, 'user.current', {}, auth)).status).toBe(200);
  });
});
