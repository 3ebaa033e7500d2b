import { createLogger } from '../../server/logger';
import { composeApp } from '../../server/compose';
import { createAppMetrics, type AppMetrics } from '../../server/http/metrics';
import { ADMIN_USER_ID, PLAIN_USER_ID } from '../../emulator/index';
import { CLIENT, SESSION_SECRET, startStack, type Stack } from '../support/stack';
import { storeImplementations, type TempStore } from '../support/temp-store';

// Bitrix24 posts an event once and never again (api-reference/events/index.md, "No retries"):
// POST /events records an ONAPPUNINSTALL and answers, and the work (app.info, then the tokens
// deleted) happens after, until it is done. PostgreSQL runs when TEST_POSTGRES_URL is set.
const implementations = storeImplementations();

/** Bitrix24 itself down: a 500 for every call of app.info, whatever the token. */
const DOWN = {
  method: 'app.info',
  error: 'INTERNAL_SERVER_ERROR',
  description: 'Internal server error',
  status: 500,
  times: 1000,
  beforeAuth: true,
};

describe.each(implementations)('event work after the answer (%s)', (_name, open) => {
  let temp: TempStore;
  let stack: Stack;
  let metrics: AppMetrics;
  beforeEach(async () => {
    temp = await open();
    metrics = createAppMetrics();
    // The job's interval is also the first back-off: short, so that "later" comes within the test.
    stack = await startStack({
      temp,
      metrics,
      env: { EVENT_WORK_INTERVAL_MS: '200', EVENT_WORK_MAX_ATTEMPTS: '3' },
    });
    expect((await stack.install()).status).toBe(200);
  });
  afterEach(async () => {
    await stack.close();
    await temp.cleanup();
  });

  const portal = () => stack.emulator.portals[0]!;
  const memberId = () => portal().memberId;
  const portalTokens = () => stack.store.findTokens({ memberId: memberId(), userId: 0 });
  const records = () => stack.store.eventWork.list(memberId());
  const state = async () => (await stack.store.findPortalByMemberId(memberId()))!.state;
  /** event_work_total as /metrics shows it, one `outcome=count` per label set. */
  const counted = async () =>
    (await metrics.registry.getSingleMetric('event_work_total')!.get()).values.map(
      (v) => `${v.labels.event} ${v.labels.outcome}=${v.value}`,
    );
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await sleep(50);
    }
  }

  it('answers a genuine ONAPPUNINSTALL at once while Bitrix24 is slow, and deletes the tokens once Bitrix24 answers', async () => {
    portal().injectFault({ method: 'app.info', latencyMs: 2500, beforeAuth: true });
    const started = Date.now();
    const { status } = await portal().sendUninstallEvent();
    expect(status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1500);
    // Answered, recorded, and Bitrix24 still thinking: nothing deleted yet.
    expect(await records()).toEqual([expect.objectContaining({ event: 'ONAPPUNINSTALL', doneAt: null })]);
    expect(await portalTokens()).not.toBeNull();
    await stack.eventWork().settled();
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    expect(await portalTokens()).toBeNull();
    expect(await state()).toBe('uninstalled');
    expect(await records()).toEqual([expect.objectContaining({ outcome: 'uninstalled', attempts: 1 })]);
    expect(await counted()).toEqual(['ONAPPUNINSTALL uninstalled=1']);
  });

  it('Bitrix24 unreachable at first: the event is answered 200, the tokens kept, and the job confirms later and deletes them', async () => {
    portal().injectFault(DOWN);
    expect((await portal().sendUninstallEvent()).status).toBe(200);
    await stack.eventWork().settled();
    expect(await portalTokens()).not.toBeNull();
    expect(await state()).toBe('installed');
    const [waiting] = await records();
    expect(waiting).toMatchObject({
      attempts: 1,
      doneAt: null,
      lastError: expect.stringContaining('INTERNAL_SERVER_ERROR'),
    });
    expect(stack.logs.join('')).toContain('ONAPPUNINSTALL not confirmed yet');

    portal().clearFaults();
    stack.eventWork().start();
    await waitFor(async () => (await portalTokens()) === null);
    expect(await state()).toBe('uninstalled');
    expect(await records()).toEqual([expect.objectContaining({ outcome: 'uninstalled', attempts: 2 })]);
    expect((await counted()).sort()).toEqual(['ONAPPUNINSTALL retry_later=1', 'ONAPPUNINSTALL uninstalled=1']);
  });

  it('gives up after EVENT_WORK_MAX_ATTEMPTS with the tokens kept, backing off between attempts', async () => {
    portal().injectFault(DOWN);
    expect((await portal().sendUninstallEvent()).status).toBe(200);
    await stack.eventWork().settled();
    const first = (await records())[0]!;
    // 200 ms after the first attempt, then 400 ms after the second.
    expect(first.nextAttemptAt - first.receivedAt).toBeGreaterThanOrEqual(200);
    stack.eventWork().start();
    await waitFor(async () => (await records())[0]!.doneAt !== null);
    const [gaveUp] = await records();
    expect(gaveUp).toMatchObject({ outcome: 'gave_up', attempts: 3 });
    expect(gaveUp!.doneAt! - first.receivedAt).toBeGreaterThanOrEqual(200 + 400);
    expect(await portalTokens()).not.toBeNull();
    expect(stack.logs.join('')).toContain('ONAPPUNINSTALL given up');
  });

  it('a forged ONAPPUNINSTALL with the genuine application token leaves the tokens: Bitrix24 says the app is installed', async () => {
    const res = await stack.http
      .post('/events')
      .type('form')
      .send({
        event: 'ONAPPUNINSTALL',
        'auth[member_id]': memberId(),
        'auth[application_token]': portal().launch({ userId: PLAIN_USER_ID }).fields.APPLICATION_TOKEN!,
      });
    expect(res.status).toBe(200);
    await stack.eventWork().settled();
    expect(await records()).toEqual([expect.objectContaining({ outcome: 'still_installed' })]);
    expect(await portalTokens()).not.toBeNull();
    expect(await state()).toBe('installed');
    expect((await stack.open(0, ADMIN_USER_ID)).res.status).toBe(200);
  });

  it('a forged ONAPPUNINSTALL with a wrong token is refused as before, and nothing is recorded', async () => {
    const res = await stack.http
      .post('/events')
      .type('form')
      .set('Accept', 'application/json')
      .send({ event: 'ONAPPUNINSTALL', 'auth[member_id]': memberId(), 'auth[application_token]': 'not-the-token' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('EVENT_NOT_VERIFIED');
    await stack.eventWork().settled();
    expect(await records()).toEqual([]);
    expect(await portalTokens()).not.toBeNull();
  });

  it('a restart picks up the record the stopped instance left, and finishes it', async () => {
    portal().injectFault(DOWN);
    expect((await portal().sendUninstallEvent()).status).toBe(200);
    await stack.eventWork().settled();
    expect(await portalTokens()).not.toBeNull();

    await stack.restartApp();
    portal().clearFaults();
    await sleep(250); // the first back-off
    expect(await stack.eventWork().runOnce()).toBe(1);
    expect(await portalTokens()).toBeNull();
    expect(await state()).toBe('uninstalled');
  });

  it('an uninstall of a portal already uninstalled, or of an install replaced since, changes nothing', async () => {
    // The first attempt cannot reach Bitrix24; meanwhile the administrator installs the app again,
    // which brings a new application token.
    portal().injectFault(DOWN);
    expect((await portal().sendUninstallEvent()).status).toBe(200);
    await stack.eventWork().settled();
    portal().clearFaults();
    expect((await stack.install()).status).toBe(200);
    const reinstalled = await portalTokens();
    await sleep(250);
    await stack.eventWork().runOnce();
    expect(await records()).toEqual([expect.objectContaining({ outcome: 'reinstalled' })]);
    expect(await portalTokens()).toEqual(reinstalled);
    expect(await state()).toBe('installed');

    // Now a real uninstall, and then Bitrix24's event a second time (as a replay would).
    const old = portal().launch({ userId: ADMIN_USER_ID }).fields.APPLICATION_TOKEN!;
    expect((await portal().sendUninstallEvent()).status).toBe(200);
    await stack.eventWork().settled();
    expect(await state()).toBe('uninstalled');
    const again = await stack.http
      .post('/events')
      .type('form')
      .send({ event: 'ONAPPUNINSTALL', 'auth[member_id]': memberId(), 'auth[application_token]': old });
    expect(again.status).toBe(200);
    await stack.eventWork().settled();
    expect((await records()).map((r) => r.outcome)).toEqual(['uninstalled', 'reinstalled']);
  });

  it('two instances on one database never work on one record at once', async () => {
    // A second app on the same database (PostgreSQL: another instance; SQLite: another handle).
    const secondStore = await temp.reopen();
    const second = composeApp({
      config: stack.config,
      store: secondStore,
      log: createLogger({ level: 'silent' }),
      bitrix24: { ...CLIENT, oauthServer: stack.emulator.oauthUrl },
      sessionSecret: SESSION_SECRET,
      restriction: { retryDelayMs: 200, rateLimit: { burstLimit: 1000, drainRate: 500 } },
    });
    try {
      const token = portal().launch({ userId: PLAIN_USER_ID }).fields.APPLICATION_TOKEN!;
      const appInfoCalls = () =>
        portal()
          .calls()
          .filter((c) => c.method === 'app.info').length;
      /** A record due for both: its first attempt met Bitrix24 down; then Bitrix24 is slow. */
      const dueRecord = async () => {
        portal().injectFault(DOWN);
        const res = await stack.http
          .post('/events')
          .type('form')
          .send({ event: 'ONAPPUNINSTALL', 'auth[member_id]': memberId(), 'auth[application_token]': token });
        expect(res.status).toBe(200);
        await stack.eventWork().settled();
        portal().clearFaults();
        portal().injectFault({ method: 'app.info', latencyMs: 800, times: 10 });
        await sleep(250);
      };

      // One instance holds the record while Bitrix24 takes its time; the other finds nothing to do.
      await dueRecord();
      let before = appInfoCalls();
      const first = stack.eventWork().runOnce();
      await sleep(300);
      expect(await second.eventWork.runOnce()).toBe(0);
      expect(await first).toBe(1);
      expect(appInfoCalls() - before).toBe(1);

      // Both at the same moment: one takes it.
      await dueRecord();
      before = appInfoCalls();
      const taken = await Promise.all([stack.eventWork().runOnce(), second.eventWork.runOnce()]);
      expect(taken.sort()).toEqual([0, 1]);
      expect(appInfoCalls() - before).toBe(1);
      // The second event opened the record the first one ended (Bitrix24 said installed) again.
      expect(await records()).toEqual([expect.objectContaining({ outcome: 'still_installed', attempts: 2 })]);
    } finally {
      await second.eventWork.stop(1000);
    }
  });
});
