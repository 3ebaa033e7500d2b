import type { Emulator } from '../../emulator/index';
import { rest, start, tokenFor } from './helpers';

// user.search as api-reference/user/user-search.md describes it.
describe('emulated user.search', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await start();
  });
  afterAll(() => emulator.close());
  const portal = () => emulator.portals[0]!;
  const names = (body: Record<string, any>) =>
    (body.result as Array<{ NAME: string; LAST_NAME: string }>).map((u) => `${u.NAME} ${u.LAST_NAME}`);

  it('finds by FIND from the start of a first name, last name or job title, every typed word matching', async () => {
    const auth = tokenFor(portal(), 2);
    expect(names((await rest(portal(), 'user.search', { FILTER: { FIND: 'bor' } }, auth)).body)).toEqual([
      'Boris User',
    ]);
    expect(names((await rest(portal(), 'user.search', { FILTER: { FIND: 'outs' } }, auth)).body)).toEqual([
      'Clara Outsider',
    ]);
    expect(names((await rest(portal(), 'user.search', { FILTER: { FIND: 'administrator' } }, auth)).body)).toEqual([
      'Anna Admin',
    ]);
    expect(names((await rest(portal(), 'user.search', { FILTER: { FIND: 'clara us' } }, auth)).body)).toEqual([]);
    // From the start only, not the middle: "oris" is no beginning.
    expect(names((await rest(portal(), 'user.search', { FILTER: { FIND: 'oris' } }, auth)).body)).toEqual([]);
  });

  it('filters by NAME and LAST_NAME from the beginning, and answers total', async () => {
    const auth = tokenFor(portal(), 2);
    const res = await rest(portal(), 'user.search', { FILTER: { LAST_NAME: 'Us' } }, auth);
    expect(res.status).toBe(200);
    expect(names(res.body)).toEqual(['Boris User']);
    expect(res.body.total).toBe(1);
    expect(res.body.next).toBeUndefined();
  });
});
