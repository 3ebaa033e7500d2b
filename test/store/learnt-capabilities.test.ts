import { SAMPLE_INSTALL, storeImplementations, type TempStore } from '../support/temp-store';
import type { LearntCapabilities } from '../../server/store/store';

// What the app learnt of a portal's Bitrix24, kept by both stores (PostgreSQL when
// TEST_POSTGRES_URL is set).
describe.each(storeImplementations())('%s store: learnt capabilities', (_name, open) => {
  let temp: TempStore;
  beforeEach(async () => {
    temp = await open();
    await temp.store.savePortal(SAMPLE_INSTALL, new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  const cloud: LearntCapabilities = {
    methods: {
      'imbot.v2.Chat.update': { isExisting: true, isAvailable: true },
      'imbot.chat.updateAvatar': { isExisting: true, isAvailable: true },
      'im.chat.updateAvatar': null,
    },
    scopes: ['imbot', 'im', 'placement', 'user_brief'],
    dialogFields: { role: true, permissions: true, restrictions: true },
    events: { ONAPPUNINSTALL: true },
    learntAt: new Date('2026-03-01T10:00:00.123Z'),
  };

  it('keeps what was learnt and when, unknowns included, and answers null for a portal never asked', async () => {
    expect(await temp.store.capabilities.find('member-a')).toBeNull();
    await temp.store.capabilities.save('member-a', cloud);
    expect(await temp.store.capabilities.find('member-a')).toEqual(cloud);
    const unknown: LearntCapabilities = {
      methods: {},
      scopes: null,
      dialogFields: null,
      events: null,
      learntAt: new Date('2026-03-02T00:00:00Z'),
    };
    await temp.store.capabilities.save('member-a', unknown);
    expect(await temp.store.capabilities.find('member-a')).toEqual(unknown);
    // Another instance reads the same.
    const other = await temp.reopen();
    expect(await other.capabilities.find('member-a')).toEqual(unknown);
  });

  it('keeps the later question when an earlier one answers last', async () => {
    const later = { ...cloud, scopes: ['im'], learntAt: new Date('2026-03-01T10:00:05Z') };
    await temp.store.capabilities.save('member-a', later);
    await temp.store.capabilities.save('member-a', cloud);
    expect(await temp.store.capabilities.find('member-a')).toEqual(later);
  });
});
