import type { PortalClients, RestClient } from '../../server/bitrix24/portal-clients';
import { createChatLister, MAX_TITLE_LENGTH } from '../../server/chats/list-chats';
import { createChatPermission, readChatView } from '../../server/chats/chat-permission';
import { createExpiringCache } from '../../server/chats/expiring-cache';
import type { Portal } from '../../server/store/store';

// What the app keeps of a portal's answers is bounded by bytes and by age, whatever the portal
// answers: a title of megabytes, thousands of searches, nobody asking once the time is up.

const portal = {
  memberId: 'm1',
  clientEndpoint: 'https://portal.example/rest/',
  state: 'installed',
  botId: 7,
} as unknown as Portal;

/** A portal whose every search answers 50 listable chats with the given title and link. */
function clientsAnswering(chat: { title: string; avatar: string }): PortalClients {
  const rest: RestClient = {
    async call<T>(method: string): Promise<T> {
      if (method !== 'im.search.chat.list') throw new Error(`unexpected ${method}`);
      return Array.from({ length: 50 }, (_, i) => ({
        id: i + 1,
        name: chat.title,
        avatar: chat.avatar,
        color: '#df532d',
        type: 'chat',
        role: 'owner',
        restrictions: { avatar: true },
        permissions: { manage_ui: 'owner' },
      })) as T;
    },
  };
  return {
    forOwner: async () => rest,
    queueWait: () => ({ waitSeconds: 0, requestsPerSecond: 2 }),
    forget: () => undefined,
  };
}

describe('the chat-list cache', () => {
  it(`cuts a title to ${MAX_TITLE_LENGTH} characters`, async () => {
    const lister = createChatLister({ clients: clientsAnswering({ title: 'T'.repeat(3 << 20), avatar: '' }) });
    const page = await lister.listChats(portal, 1, { search: 'TT', cursor: 0 });
    expect(page.chats[0]!.title).toHaveLength(MAX_TITLE_LENGTH);
    expect(page.chats[0]!.title.endsWith('…')).toBe(true);
  });

  it('drops an avatar link longer than a browser is sure to load', async () => {
    const lister = createChatLister({
      clients: clientsAnswering({ title: 'Sales', avatar: `https://cdn.example/${'a'.repeat(4096)}.png` }),
    });
    expect((await lister.listChats(portal, 1, { search: 'Sa', cursor: 0 })).chats[0]!.avatarUrl).toBeNull();
  });

  it('holds at most its bytes, however many searches a user makes', async () => {
    // The largest page a portal can still give: 50 chats, titles at their cut, links near theirs.
    const lister = createChatLister({
      clients: clientsAnswering({ title: 'T'.repeat(300), avatar: `https://cdn.example/${'a'.repeat(2000)}` }),
    });
    for (let i = 0; i < 600; i++) await lister.listChats(portal, 1, { search: `T${i}`, cursor: 0 });
    const { entries, bytes } = lister.cacheStats();
    expect(bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    // Each page is about 230 KB by the estimate: about 70 fit.
    expect(entries).toBeLessThan(100);
  });

  it('drops expired lists when their time is up, with nobody asking', async () => {
    jest.useFakeTimers();
    try {
      const lister = createChatLister({ clients: clientsAnswering({ title: 'Sales', avatar: '' }) });
      for (let i = 0; i < 20; i++) await lister.listChats(portal, 1, { search: `Sa${i}`, cursor: 0 });
      expect(lister.cacheStats().entries).toBe(20);
      jest.advanceTimersByTime(29_000);
      expect(lister.cacheStats().entries).toBe(20);
      jest.advanceTimersByTime(2_000);
      expect(lister.cacheStats()).toEqual({ entries: 0, bytes: 0 });
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('an expiring cache', () => {
  it('evicts the oldest to stay within its bytes and its count', () => {
    const cache = createExpiringCache<string>({
      ttlMs: 60_000,
      maxBytes: 10_000,
      maxEntries: 5,
      sizeOf: (v) => 2 * v.length,
    });
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, 'v'.repeat(1000));
    expect(cache.stats().bytes).toBeLessThanOrEqual(10_000);
    expect(cache.get('k0')).toBeUndefined();
    expect(cache.get('k9')).toBeDefined();
    for (let i = 0; i < 10; i++) cache.set(`s${i}`, 'v');
    expect(cache.stats().entries).toBe(5);
    // A value larger than the whole cache is not kept.
    cache.set('huge', 'v'.repeat(10_000));
    expect(cache.get('huge')).toBeUndefined();
  });
});

describe("what the permission check keeps of a portal's words", () => {
  it('keeps a long avatar link as its digest: equal links stay equal, and it is short', () => {
    const link = `https://cdn.example/${'a'.repeat(1 << 20)}`;
    const a = readChatView({ avatar: link }).avatar!;
    expect(a.length).toBeLessThan(100);
    expect(readChatView({ avatar: link }).avatar).toBe(a);
    expect(readChatView({ avatar: `${link}b` }).avatar).not.toBe(a);
    expect(readChatView({ avatar: 'https://cdn.example/a.png' }).avatar).toBe('https://cdn.example/a.png');
  });

  it('cuts the words a decision reads, and a cut word never matches a rule', () => {
    const view = readChatView({ type: 'chat', role: `owner${'x'.repeat(1 << 20)}`, entity_type: 'E'.repeat(1 << 20) });
    expect(view.role!.length).toBeLessThanOrEqual(64);
    expect(view.entity_type!.length).toBeLessThanOrEqual(64);
  });

  it('remembers a megabyte-link chat for a minute in a few kilobytes', async () => {
    const rest: RestClient = {
      async call<T>(): Promise<T> {
        return {
          result: {
            view: {
              type: 'chat',
              entity_type: '',
              role: 'owner',
              owner: 1,
              avatar: `https://cdn.example/${'a'.repeat(1 << 20)}`,
              restrictions: { avatar: true },
              permissions: { manage_ui: 'owner', manage_users_add: 'owner' },
            },
            members: [1, 7],
            owner: [{ NAME: 'N'.repeat(1 << 20), LAST_NAME: 'Admin' }],
          },
        } as T;
      },
    };
    const permission = createChatPermission({
      clients: {
        forOwner: async () => rest,
        queueWait: () => ({ waitSeconds: 0, requestsPerSecond: 2 }),
        forget: () => undefined,
      },
    });
    const access = await permission.assertMayChange(portal, 1, 12);
    expect(access.avatar.length).toBeLessThan(100);
    expect(access.owner!.name!.length).toBeLessThanOrEqual(106);
    expect(permission.lastAvatarLink('m1', 12)).toBe(access.avatar);
  });
});
