import Database from 'better-sqlite3';
import { PLAIN_USER_ID, companyChatIds } from '../../emulator/index';
import * as img from '../support/images';
import { installedStack, type InstalledStack } from '../support/stack';
import type { TempStore } from '../support/temp-store';

// "Undo all" of a bulk job, through HTTP against the emulator: the job keeps each chat's picture
// before (read from the chat's avatar link, as a single change does), and Undo all, a job of its
// own, puts each back byte for byte as Bitrix24 stored it; a chat changed again since, one that
// had no picture, and a job past the undo window are refused with a sentence.
jest.setTimeout(60_000);

describe('Undo all of a job of many chats', () => {
  let stack: InstalledStack;
  beforeEach(async () => {
    stack = await installedStack({ users: [PLAIN_USER_ID], emulator: { portals: [{ seed: 'company' }] } });
  });
  afterEach(() => stack.close());

  const portal = () => stack.emulator.portals[0]!;
  const auth = () => `Bearer ${stack.tokens[PLAIN_USER_ID]}`;
  const stored = (chatId: number) => portal().state.chats.get(chatId)!.avatar?.data ?? null;
  /** A chat's avatar set in Bitrix24 itself, not through the app. */
  const setInBitrix24 = async (chatId: number, side: number) => {
    const chat = portal().state.chats.get(chatId)!;
    const data = await img.png(side, side);
    chat.avatar = { data, format: 'png', width: side, height: side, version: (chat.avatar?.version ?? 0) + 1 };
    return data;
  };
  type JobView = {
    id: string;
    state: string;
    undoes: string | null;
    undoUntil: string | null;
    undoneBy: string | null;
    counts: { total: number; changed: number; refused: number; skipped: number };
  };
  const runJob = async (chatIds: number[], opts: { historyWritten?: boolean } = {}): Promise<JobView> => {
    const dry = await stack.http
      .post('/api/bulk-jobs')
      .set('Authorization', auth())
      .send({ chatIds, template: 'picture' });
    expect(dry.status).toBe(201);
    const started = await stack.http
      .post(`/api/bulk-jobs/${dry.body.job.id}/start`)
      .set('Authorization', auth())
      .attach('avatar', await img.photo(400, 400), { filename: 'logo.jpg', contentType: 'image/jpeg' });
    expect(started.status).toBe(200);
    await stack.bulkWork().settled();
    if (opts.historyWritten !== false) await stack.historyIdle();
    return (await stack.http.get(`/api/bulk-jobs/${dry.body.job.id}`).set('Authorization', auth())).body.job;
  };
  const undoAll = (jobId: string) => stack.http.post(`/api/bulk-jobs/${jobId}/undo`).set('Authorization', auth());
  const results = async (jobId: string) =>
    (await stack.http.get(`/api/bulk-jobs/${jobId}/chats?limit=500`).set('Authorization', auth())).body.chats as Array<{
      chatId: number;
      state: string;
      code: string | null;
      message: string | null;
      notes: string[];
    }>;

  it("puts back each chat's previous picture byte for byte, and explains the chats it leaves", async () => {
    const chats = companyChatIds('member', 'owner', 'manager').slice(0, 24);
    const [noPicture, changedAgain, ...withPicture] = chats as [number, number, ...number[]];
    const before = new Map<number, Buffer>();
    for (const [i, chatId] of withPicture.entries()) before.set(chatId, await setInBitrix24(chatId, 40 + i));
    await setInBitrix24(changedAgain, 90);
    expect(stored(noPicture)).toBeNull();

    const job = await runJob(chats);
    expect(job).toMatchObject({ state: 'done', counts: { changed: 24 }, undoes: null, undoneBy: null });
    expect(new Date(job.undoUntil!).getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    for (const chatId of chats) expect(stored(chatId)!.equals(before.get(chatId) ?? Buffer.alloc(0))).toBe(false);
    // Someone changes one of the chats again in Bitrix24 before Undo all.
    const since = await setInBitrix24(changedAgain, 70);

    // Another user's Undo all of it is no different from one of a job that does not exist.
    const anna = (await stack.open(0, 1)).token;
    const foreign = await stack.http.post(`/api/bulk-jobs/${job.id}/undo`).set('Authorization', `Bearer ${anna}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');

    // Pressed twice at once (two tabs): one job.
    const [pressed, twice] = await Promise.all([undoAll(job.id), undoAll(job.id)]);
    expect([pressed.status, twice.status]).toEqual([201, 201]);
    expect(twice.body.job.id).toBe(pressed.body.job.id);
    const undoing = pressed.body.job as JobView;
    expect(undoing).toMatchObject({ undoes: job.id, undoUntil: null });
    await stack.bulkWork().settled();
    await stack.historyIdle();
    const undone = (await stack.http.get(`/api/bulk-jobs/${undoing.id}`).set('Authorization', auth())).body
      .job as JobView;
    expect(undone).toMatchObject({ state: 'done', counts: { total: 24, changed: 22, skipped: 2 } });

    for (const [chatId, picture] of before) expect(stored(chatId)!.equals(picture)).toBe(true);
    expect(stored(changedAgain)!.equals(since)).toBe(true);
    expect(stored(noPicture)).not.toBeNull();
    const list = await results(undoing.id);
    expect(list.find((c) => c.chatId === changedAgain)).toMatchObject({
      state: 'skipped',
      code: 'CHANGED_SINCE',
      message: 'This chat’s avatar was changed again since, so Undo all left it as it is.',
    });
    expect(list.find((c) => c.chatId === noPicture)).toMatchObject({ state: 'skipped', code: 'NO_PICTURE_BEFORE' });
    expect(list.find((c) => c.chatId === noPicture)!.message).toContain('Bitrix24 does not let apps remove');

    // The first job says it was taken back; pressed again, Undo all answers the same job.
    const first = (await stack.http.get(`/api/bulk-jobs/${job.id}`).set('Authorization', auth())).body.job as JobView;
    expect(first).toMatchObject({ undoneBy: undoing.id, undoUntil: null });
    expect((await undoAll(job.id)).body.job.id).toBe(undoing.id);
    // An undo is itself no job to take back.
    expect((await undoAll(undoing.id)).body.error.code).toBe('JOB_NOTHING_TO_UNDO');

    // Each chat put back is audited as an undo of the job, tied to the undoing job.
    const { entries } = await stack.store.listAuditEntries(portal().memberId, { limit: 500, offset: 0 });
    const ofUndo = entries.filter((e) => e.jobId === undoing.id);
    expect(ofUndo.filter((e) => e.result === 'ok')).toHaveLength(22);
    expect(ofUndo.every((e) => e.notes?.includes('undo'))).toBe(true);
  });

  it('leaves a chat changed again after Undo all was pressed, found when the job checks it before sending', async () => {
    const chats = companyChatIds('member').slice(0, 3);
    const before = await Promise.all(chats.map((chatId) => setInBitrix24(chatId, 33)));
    const job = await runJob(chats);
    // Pressed while no instance runs jobs: the undo waits, and a minute passes before it is sent.
    await stack.bulkWork().stop(0);
    const pressed = await undoAll(job.id);
    expect(pressed.status).toBe(201);
    const since = await setInBitrix24(chats[1]!, 44);
    const file = new Database((stack.temp as TempStore & { path: string }).path);
    file
      .prepare('UPDATE bulk_job_items SET checked_at = checked_at - 120000 WHERE job_id = ?')
      .run(pressed.body.job.id);
    file.close();
    await stack.restartApp();
    while (await stack.bulkWork().runOnce());
    await stack.bulkWork().settled();
    expect(stored(chats[0]!)!.equals(before[0]!)).toBe(true);
    expect(stored(chats[1]!)!.equals(since)).toBe(true);
    expect(stored(chats[2]!)!.equals(before[2]!)).toBe(true);
    const list = await results(pressed.body.job.id);
    expect(list.map((c) => [c.state, c.code])).toEqual([
      ['changed', null],
      ['refused', 'CHANGED_SINCE'],
      ['changed', null],
    ]);
    expect(list[0]!.notes).toContain('undo');
  });

  it('pressed the moment the job ends, waits for the entries still being written', async () => {
    const chats = companyChatIds('member').slice(0, 12);
    const before = await Promise.all(chats.map((chatId, i) => setInBitrix24(chatId, 30 + i)));
    const job = await runJob(chats, { historyWritten: false });
    const pressed = await undoAll(job.id);
    expect(pressed.status).toBe(201);
    await stack.bulkWork().settled();
    expect((await results(pressed.body.job.id)).map((c) => c.code)).toEqual(chats.map(() => null));
    for (const [i, chatId] of chats.entries()) expect(stored(chatId)!.equals(before[i]!)).toBe(true);
  });

  it('keeps a picture it could not read as "not kept", and still changes the chat', async () => {
    const [chatId] = companyChatIds('member');
    await setInBitrix24(chatId!, 50);
    portal().injectAvatarFault({ kind: 'not_image', times: 1 });
    const job = await runJob([chatId!]);
    expect(job.counts.changed).toBe(1);
    const pressed = await undoAll(job.id);
    expect(pressed.status).toBe(201);
    await stack.bulkWork().settled();
    const [chat] = await results(pressed.body.job.id);
    expect(chat).toMatchObject({ state: 'skipped', code: 'PICTURE_NOT_KEPT' });
    expect(chat!.notes).toEqual(['not_an_image']);
  });

  it('refuses Undo all after the undo window, with a sentence', async () => {
    const chats = companyChatIds('member').slice(0, 3);
    for (const chatId of chats) await setInBitrix24(chatId, 30);
    const job = await runJob(chats);
    // Sixteen minutes pass.
    const file = new Database((stack.temp as TempStore & { path: string }).path);
    file.prepare('UPDATE bulk_jobs SET finished_at = finished_at - 16 * 60000 WHERE id = ?').run(job.id);
    file.close();
    expect(
      (await stack.http.get(`/api/bulk-jobs/${job.id}`).set('Authorization', auth())).body.job.undoUntil,
    ).toBeNull();
    const late = await undoAll(job.id);
    expect(late.status).toBe(410);
    expect(late.body.error).toMatchObject({
      code: 'UNDO_EXPIRED',
      message: 'A change can be undone only within 15 minutes, and that time has passed.',
    });
  });

  it('has nothing to undo when the app keeps no history (AVATAR_HISTORY off)', async () => {
    await stack.close();
    stack = await installedStack({
      users: [PLAIN_USER_ID],
      emulator: { portals: [{ seed: 'company' }] },
      env: { AVATAR_HISTORY: 'false' },
    });
    const job = await runJob(companyChatIds('member').slice(0, 2));
    expect(job).toMatchObject({ counts: { changed: 2 }, undoUntil: null });
    const res = await undoAll(job.id);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('JOB_NOTHING_TO_UNDO');
  });

  it('refuses Undo all of a job still running, and of one that changed nothing', async () => {
    const dry = await stack.http
      .post('/api/bulk-jobs')
      .set('Authorization', auth())
      .send({ chatIds: companyChatIds('member').slice(0, 2), template: 'picture' });
    const draft = await undoAll(dry.body.job.id);
    expect(draft.status).toBe(409);
    expect(draft.body.error.code).toBe('JOB_NOT_FINISHED');
    const refusedOnly = await runJob(companyChatIds('owner-only').slice(0, 2));
    expect(refusedOnly.counts.changed).toBe(0);
    expect((await undoAll(refusedOnly.id)).body.error.code).toBe('JOB_NOTHING_TO_UNDO');
  });
});
