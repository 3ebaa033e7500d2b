import { SAMPLE_INSTALL, storeImplementations, type TempStore } from '../support/temp-store';
import type { NewRequestLogEntry } from '../../server/store/request-log';

// The dialogs the bot greeted (each once, across instances) and the request log (kept for
// support, read a portal and a period at a time, pruned by age), on both databases
// (PostgreSQL when TEST_POSTGRES_URL is set).
describe.each(storeImplementations())('%s store: bot greetings and the request log', (_name, open) => {
  let temp: TempStore;
  beforeEach(async () => {
    temp = await open();
    await temp.store.savePortal(SAMPLE_INSTALL, new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  it('claims a dialog’s greeting once: a second claim, from this instance or another, is refused', async () => {
    const at = new Date('2026-02-01T10:00:00.250Z');
    const other = await temp.reopen();
    const claims = await Promise.all([
      temp.store.botGreetings.claim('member-a', 'chat12', at),
      other.botGreetings.claim('member-a', 'chat12', at),
      temp.store.botGreetings.claim('member-a', 'chat12', at),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await temp.store.botGreetings.claim('member-b', 'chat12', at)).toBe(true);
    expect(await temp.store.botGreetings.list('member-a')).toEqual([{ dialogId: 'chat12', greetedAt: at }]);
  });

  it('gives a claim back: the next join may greet', async () => {
    const at = new Date('2026-02-01T10:00:00Z');
    expect(await temp.store.botGreetings.claim('member-a', '7', at)).toBe(true);
    await temp.store.botGreetings.release('member-a', '7');
    expect(await temp.store.botGreetings.list('member-a')).toEqual([]);
    expect(await temp.store.botGreetings.claim('member-a', '7', at)).toBe(true);
  });

  const entry = (over: Partial<NewRequestLogEntry>): NewRequestLogEntry => ({
    memberId: 'member-a',
    userId: 2,
    at: new Date('2026-03-01T12:00:00.000Z'),
    target: 'rest',
    method: 'im.dialog.get',
    status: 200,
    outcome: 'ok',
    ms: 12,
    request: JSON.stringify({ DIALOG_ID: 'chat12', auth: { withheld: 'secret', length: 32, sha256: 'ab' } }),
    answer: JSON.stringify({ result: { id: 12, name: 'Marketing' } }),
    ...over,
  });

  it('keeps requests with their answers, and reads one portal’s period oldest first, page by page', async () => {
    const t = (minutes: number) => new Date(Date.UTC(2026, 2, 1, 12, minutes));
    await temp.store.requestLog.add([
      entry({ at: t(0) }),
      entry({ at: t(1), method: 'batch', userId: null, status: null, outcome: 'timeout', answer: null }),
      entry({ at: t(2), memberId: 'member-b' }),
      entry({ at: t(3), target: 'oauth', method: 'oauth.token', userId: null }),
      entry({ at: t(9) }),
    ]);
    const range = { from: t(0), to: t(9) };
    const first = await temp.store.requestLog.page('member-a', range, 0, 2);
    expect(first.map((e) => [e.at.toISOString(), e.method])).toEqual([
      [t(0).toISOString(), 'im.dialog.get'],
      [t(1).toISOString(), 'batch'],
    ]);
    expect(first[1]).toMatchObject({ userId: null, status: null, outcome: 'timeout', answer: null, target: 'rest' });
    expect(JSON.parse(first[0]!.request)).toEqual(JSON.parse(entry({}).request));
    expect(JSON.parse(first[0]!.answer!)).toEqual({ result: { id: 12, name: 'Marketing' } });
    const second = await temp.store.requestLog.page('member-a', range, first[1]!.id, 2);
    expect(second.map((e) => e.method)).toEqual(['oauth.token']);
    expect(await temp.store.requestLog.page('member-a', range, second[0]!.id, 2)).toEqual([]);
  });

  it('prunes what is older than the given time, of every portal', async () => {
    await temp.store.requestLog.add([
      entry({ at: new Date('2026-03-01T00:00:00Z') }),
      entry({ at: new Date('2026-03-01T00:00:00Z'), memberId: 'member-b' }),
      entry({ at: new Date('2026-03-04T00:00:00Z') }),
    ]);
    expect(await temp.store.requestLog.prune(new Date('2026-03-02T00:00:00Z'))).toBe(2);
    const all = { from: new Date(0), to: new Date('2100-01-01T00:00:00Z') };
    expect((await temp.store.requestLog.page('member-a', all, 0, 10)).map((e) => e.at.toISOString())).toEqual([
      '2026-03-04T00:00:00.000Z',
    ]);
    expect(await temp.store.requestLog.page('member-b', all, 0, 10)).toEqual([]);
  });

  it('deletes one portal’s entries, and only its', async () => {
    await temp.store.requestLog.add([entry({}), entry({ memberId: 'member-b' }), entry({})]);
    expect(await temp.store.requestLog.deletePortal('member-a')).toBe(2);
    const all = { from: new Date(0), to: new Date('2100-01-01T00:00:00Z') };
    expect(await temp.store.requestLog.page('member-a', all, 0, 10)).toEqual([]);
    expect(await temp.store.requestLog.page('member-b', all, 0, 10)).toHaveLength(1);
  });
});
