import sharp from 'sharp';
import { composeApp } from '../../server/compose';
import { createLogger } from '../../server/logger';
import { BOARD_CHAT_ID, MARKETING_CHAT_ID, PLAIN_USER_ID, PORTAL_PROFILES, companyChatIds } from '../../emulator/index';
import * as img from '../support/images';
import { CLIENT, installedStack, SESSION_SECRET, type InstalledStack } from '../support/stack';

// Many chats at once, through HTTP against the emulator's company: the dry run, the job that
// runs on its own after the page is gone, survives a restart and a lost instance without changing
// a chat twice, pause, resume, cancel, and a picture of each chat's own.
jest.setTimeout(60_000);

const LEASE_MS = 1500;
const SETTLE_MS = [100, 100, 100, 200];

describe('changing many chats at once', () => {
  let stack: InstalledStack;
  beforeEach(async () => {
    stack = await installedStack({
      users: [PLAIN_USER_ID],
      emulator: { portals: [{ seed: 'company' }] },
      bulkJobLeaseMs: LEASE_MS,
      // A chat whose outcome a lost instance never wrote is looked at for this long (0.5 s).
      settleScheduleMs: SETTLE_MS,
    });
  });
  afterEach(() => stack.close());

  const portal = () => stack.emulator.portals[0]!;
  const auth = () => `Bearer ${stack.tokens[PLAIN_USER_ID]}`;
  const dryRun = async (chatIds: number[], template = 'picture') => {
    const res = await stack.http.post('/api/bulk-jobs').set('Authorization', auth()).send({ chatIds, template });
    expect(res.status).toBe(201);
    return res.body as { job: { id: string; state: string }; chats: Array<Record<string, unknown>> };
  };
  const start = async (jobId: string) =>
    stack.http
      .post(`/api/bulk-jobs/${jobId}/start`)
      .set('Authorization', auth())
      .attach('avatar', await img.photo(400, 400), { filename: 'logo.jpg', contentType: 'image/jpeg' });
  const progress = async (jobId: string) =>
    (await stack.http.get(`/api/bulk-jobs/${jobId}`).set('Authorization', auth())).body.job as {
      state: string;
      counts: {
        total: number;
        done: number;
        left: number;
        changed: number;
        refused: number;
        skipped: number;
        cancelled: number;
      };
      etaSeconds: number | null;
    };
  const results = async (jobId: string) =>
    (await stack.http.get(`/api/bulk-jobs/${jobId}/chats?limit=500`).set('Authorization', auth())).body.chats as Array<{
      chatId: number;
      state: string;
      verdict: string;
      code: string | null;
      message: string | null;
    }>;
  const changesMade = () =>
    portal()
      .calls()
      .filter((c) => ['imbot.v2.Chat.update', 'imbot.chat.updateAvatar', 'im.chat.updateAvatar'].includes(c.method));

  it('lists per chat what a single change would do, and sends nothing', async () => {
    const [noAdd] = companyChatIds('no-add');
    const [ownerOnly] = companyChatIds('owner-only');
    const [outside] = companyChatIds('outside');
    const chatIds = [MARKETING_CHAT_ID, BOARD_CHAT_ID, noAdd!, ownerOnly!, outside!];
    const { job, chats } = await dryRun(chatIds);
    expect(job.state).toBe('draft');
    for (const chat of chats) {
      const single = await stack.http.get(`/api/chats/${chat.chatId as number}/access`).set('Authorization', auth());
      if (single.status === 403) {
        expect(chat).toMatchObject({
          verdict: 'refused',
          code: single.body.error.code,
          // The single check names who can change the chat; the dry run says the same without names.
          message: single.body.error.message.replace(/ \([^)]*\)/, ''),
        });
      } else if (single.body.bot === 'blocked') {
        expect(chat).toMatchObject({ verdict: 'refused', code: 'BOT_JOIN_DENIED', owner: single.body.owner });
        expect(chat.message).toContain(single.body.owner);
      } else expect(chat.verdict).toBe(single.body.bot === 'joins' ? 'join_first' : 'change');
    }
    expect(chats.map((c) => c.verdict)).toEqual(['join_first', 'refused', 'refused', 'refused', 'refused']);
    expect(chats[3]!.message).toMatch(/owner/);
    expect(changesMade()).toEqual([]);
    // Another user does not see the job.
    const anna = (await stack.open(0, 1)).token;
    expect((await stack.http.get(`/api/bulk-jobs/${job.id}`).set('Authorization', `Bearer ${anna}`)).status).toBe(404);
  });

  it('changes 110 of 120 chats and explains the 10 others: each chat once, one audit entry each, tied to the job', async () => {
    const changeable = companyChatIds('member', 'owner', 'manager').slice(0, 110);
    const refused = companyChatIds('owner-only', 'managers-only', 'outside', 'locked').slice(0, 10);
    const { job, chats } = await dryRun([...changeable, ...refused]);
    expect(chats.filter((c) => c.verdict === 'refused')).toHaveLength(10);
    const started = await start(job.id);
    expect(started.status).toBe(200);
    expect(started.body.job.state).toBe('running');
    // The page may close now: the job runs on its own.
    await stack.bulkWork().settled();
    const done = await progress(job.id);
    expect(done.state).toBe('done');
    expect(done.counts).toMatchObject({ total: 120, changed: 110, refused: 0, skipped: 10, left: 0 });
    const list = await results(job.id);
    expect(list.filter((c) => c.state === 'changed').map((c) => c.chatId)).toEqual(changeable);
    for (const chat of list.filter((c) => c.state === 'skipped')) expect(chat.message).toBeTruthy();
    for (const id of changeable) expect(portal().chat(id)!.avatarChanges).toBe(1);
    for (const id of refused) expect(portal().chat(id)!.avatarChanges).toBe(0);
    const { entries } = await stack.store.listAuditEntries(portal().memberId, { limit: 500, offset: 0 });
    const ofJob = entries.filter((e) => e.jobId === job.id);
    expect(ofJob).toHaveLength(110);
    expect(new Set(ofJob.map((e) => e.chatId)).size).toBe(110);
    expect(ofJob.every((e) => e.result === 'ok' && e.notes?.includes('bulk'))).toBe(true);
  });

  it('pauses, resumes and cancels', async () => {
    // Each request takes a while, so the job is caught between its requests.
    portal().injectFault({ method: 'batch', latencyMs: 150, times: 1000 });
    const ids = companyChatIds('member').slice(0, 100);
    const { job } = await dryRun(ids);
    await start(job.id);
    await waitFor(async () => (await progress(job.id)).counts.changed >= 25);
    const paused = await stack.http.post(`/api/bulk-jobs/${job.id}/pause`).set('Authorization', auth());
    expect(paused.body.job.state).toBe('paused');
    await stack.bulkWork().settled();
    const atPause = (await progress(job.id)).counts.changed;
    expect(atPause).toBeLessThan(100);
    const sentAtPause = changesMade().length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await progress(job.id)).counts).toMatchObject({ changed: atPause, left: 100 - atPause });
    expect(changesMade()).toHaveLength(sentAtPause);

    const resumed = await stack.http.post(`/api/bulk-jobs/${job.id}/resume`).set('Authorization', auth());
    expect(resumed.body.job.state).toBe('running');
    await waitFor(async () => (await progress(job.id)).counts.changed > atPause);
    const cancelled = await stack.http.post(`/api/bulk-jobs/${job.id}/cancel`).set('Authorization', auth());
    expect(cancelled.body.job.state).toBe('cancelled');
    await stack.bulkWork().settled();
    const end = await progress(job.id);
    expect(end.state).toBe('cancelled');
    expect(end.counts.changed + end.counts.cancelled).toBe(100);
    expect(end.counts.cancelled).toBeGreaterThan(0);
    // Nothing more is sent, and every chat was changed at most once.
    const made = changesMade().length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(changesMade()).toHaveLength(made);
    for (const id of ids) expect(portal().chat(id)!.avatarChanges).toBeLessThanOrEqual(1);
    expect((await stack.http.post(`/api/bulk-jobs/${job.id}/resume`).set('Authorization', auth())).body.job.state).toBe(
      'cancelled',
    );
  });

  it('goes on after a restart of the app', async () => {
    portal().injectFault({ method: 'batch', latencyMs: 150, times: 1000 });
    const ids = companyChatIds('member').slice(0, 80);
    const { job } = await dryRun(ids);
    await start(job.id);
    await waitFor(async () => (await progress(job.id)).counts.changed >= 25);
    await stack.restartApp();
    // The restarted app's periodic run takes it up.
    while (await stack.bulkWork().runOnce());
    await stack.bulkWork().settled();
    expect((await progress(job.id)).state).toBe('done');
    for (const id of ids) expect(portal().chat(id)!.avatarChanges).toBe(1);
  });

  it('is finished by another instance when its own is lost mid-request, with no chat changed twice', async () => {
    const ids = companyChatIds('member').slice(0, 60);
    // The bot is outside: the first 50 chats' first two requests are the changes alone, which
    // Bitrix24 refuses as the bot's; the third, the joins and the changes of 16 chats, is made by
    // Bitrix24 and its answer lost with the instance.
    const { job } = await dryRun(ids);
    portal().injectFault({ method: 'batch', answerLatencyMs: 4000, skip: 2, times: 1 });
    await start(job.id);
    await waitFor(async () => (await stack.store.bulkJobs.counts(job.id)).sending > 0);
    // Another instance on the same database: the first one's lease runs out while it waits.
    const other = composeApp({
      config: stack.config,
      store: await stack.temp.reopen(),
      log: createLogger({ level: 'silent' }),
      bitrix24: { ...CLIENT, oauthServer: stack.emulator.oauthUrl },
      sessionSecret: SESSION_SECRET,
      restriction: { retryDelayMs: 200, rateLimit: { burstLimit: 1000, drainRate: 500 } },
      bulkJobLeaseMs: LEASE_MS,
      changeSettleScheduleMs: SETTLE_MS,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 100));
      await waitFor(async () => {
        await other.bulkWork.runOnce();
        return (await progress(job.id)).state === 'done';
      }, 30_000);
      await stack.bulkWork().settled();
      const done = await progress(job.id);
      expect(done.counts).toMatchObject({ changed: 60, left: 0 });
      for (const id of ids) expect(portal().chat(id)!.avatarChanges).toBe(1);
      const list = await results(job.id);
      expect(list.every((c) => c.state === 'changed')).toBe(true);
      const { entries } = await stack.store.listAuditEntries(portal().memberId, { limit: 500, offset: 0 });
      expect(entries.filter((e) => e.jobId === job.id)).toHaveLength(60);
      // The 16 whose answer was lost were found made from their links, and not sent again.
      expect(entries.filter((e) => e.notes?.includes('confirmed_after_no_answer'))).toHaveLength(16);
    } finally {
      await other.bulkWork.stop(0);
    }
  });

  it('gives each chat its own picture, made in the browser, through the same checks', async () => {
    const ids = companyChatIds('member').slice(0, 3);
    const { job } = await dryRun(ids, 'per_chat');
    // Not started before every chat has its picture.
    expect((await stack.http.post(`/api/bulk-jobs/${job.id}/start`).set('Authorization', auth())).status).toBe(400);
    const colours = [
      { r: 223, g: 83, b: 45 },
      { r: 100, g: 165, b: 19 },
      { r: 94, g: 95, b: 94 },
    ];
    for (const [i, chatId] of ids.entries()) {
      const picture = await sharp({ create: { width: 256, height: 256, channels: 3, background: colours[i]! } })
        .png()
        .toBuffer();
      const res = await stack.http
        .post(`/api/bulk-jobs/${job.id}/chats/${chatId}/avatar`)
        .set('Authorization', auth())
        .attach('avatar', picture, { filename: 'initials.png', contentType: 'image/png' });
      expect(res.status).toBe(200);
    }
    const refusedFile = await stack.http
      .post(`/api/bulk-jobs/${job.id}/chats/${ids[0]}/avatar`)
      .set('Authorization', auth())
      .attach('avatar', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), {
        filename: 'x.svg',
        contentType: 'image/svg+xml',
      });
    expect(refusedFile.body.error.code).toBe('UNSUPPORTED_IMAGE');
    expect((await stack.http.post(`/api/bulk-jobs/${job.id}/start`).set('Authorization', auth())).status).toBe(200);
    await stack.bulkWork().settled();
    for (const [i, chatId] of ids.entries()) {
      const avatar = portal().chat(chatId)!.avatar!;
      const { data } = await sharp(Buffer.from(avatar.base64, 'base64')).raw().toBuffer({ resolveWithObject: true });
      // As sent: its own colour (within what the encoding moves it).
      for (const [channel, value] of [colours[i]!.r, colours[i]!.g, colours[i]!.b].entries())
        expect(Math.abs(data[channel]! - value)).toBeLessThanOrEqual(3);
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(PORTAL_PROFILES)('a job of many chats on a %s portal', (profile) => {
  let stack: InstalledStack;
  beforeEach(async () => {
    stack = await installedStack({ users: [PLAIN_USER_ID], emulator: { profile, portals: [{ seed: 'company' }] } });
  });
  afterEach(() => stack.close());

  it('changes the chats the dry run allows, by the method the portal has, and explains the others', async () => {
    const auth = `Bearer ${stack.tokens[PLAIN_USER_ID]}`;
    const portal = stack.emulator.portals[0]!;
    const ids = [
      ...companyChatIds('member', 'owner', 'manager').slice(0, 12),
      ...companyChatIds('owner-only').slice(0, 3),
    ];
    const dry = await stack.http.post('/api/bulk-jobs').set('Authorization', auth).send({ chatIds: ids });
    const allowed = (dry.body.chats as Array<{ chatId: number; verdict: string }>).filter(
      (c) => c.verdict !== 'refused',
    );
    // im 19.x let any member change a group chat's look: "owner only" is current im's setting.
    expect(allowed).toHaveLength(profile === 'onprem-old' ? 15 : 12);
    await stack.http
      .post(`/api/bulk-jobs/${dry.body.job.id as string}/start`)
      .set('Authorization', auth)
      .attach('avatar', await img.photo(300, 300), { filename: 'logo.jpg', contentType: 'image/jpeg' });
    await stack.bulkWork().settled();
    const job = (await stack.http.get(`/api/bulk-jobs/${dry.body.job.id as string}`).set('Authorization', auth)).body
      .job;
    expect(job).toMatchObject({ state: 'done', counts: { changed: allowed.length, refused: 0 } });
    for (const { chatId } of allowed) expect(portal.chat(chatId)!.avatarChanges).toBe(1);
    const method = profile === 'cloud' ? 'imbot.v2.Chat.update' : 'imbot.chat.updateAvatar';
    expect(portal.calls().filter((c) => c.method === method).length).toBeGreaterThanOrEqual(allowed.length);
  });
});
