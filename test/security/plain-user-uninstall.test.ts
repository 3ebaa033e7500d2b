import { PLAIN_USER_ID } from '../../emulator/index';
import { PORTAL_TOKEN_USER } from '../../server/store/store';
import { startStack, type Stack } from '../support/stack';

// What a plain user can do with ONAPPUNINSTALL. Every user who opens the app holds the portal's
// application token (their frame's form carries it), so they can post an ONAPPUNINSTALL that
// passes the token check as often as they like. It must not uninstall the portal, whatever the
// OAuth server answers while the app asks Bitrix24 (server/portal/install-witnesses.ts,
// oauth-client.ts), and it must not make the app write rows or ask Bitrix24 at its pace
// (UNINSTALL_CHECK_INTERVAL_SECONDS, server/store/event-work.ts).

describe('a plain user replaying ONAPPUNINSTALL', () => {
  let stack: Stack;
  afterEach(() => stack.close());

  const portal = () => stack.emulator.portals[0]!;
  const memberId = () => portal().memberId;
  const state = async () => (await stack.store.findPortalByMemberId(memberId()))!.state;
  /** The genuine application token, from the plain user's own frame form, posted as Bitrix24 would. */
  const replayUninstall = () =>
    stack.http
      .post('/events')
      .type('form')
      .send({
        event: 'ONAPPUNINSTALL',
        'auth[member_id]': memberId(),
        'auth[application_token]': portal().launch({ userId: PLAIN_USER_ID }).fields.APPLICATION_TOKEN!,
      });
  /** app.info calls the uninstall's witnesses made (opening the app asks it in a batch too: counted from `since`). */
  const appInfoCalls = (since: number) =>
    portal()
      .calls()
      .slice(since)
      .filter((c) => c.method === 'app.info').length;

  describe('one OAuth server error at the moment the portal token is refreshed', () => {
    beforeEach(async () => {
      stack = await startStack({ env: { EVENT_WORK_INTERVAL_MS: '200', EVENT_WORK_MAX_ATTEMPTS: '5' } });
      expect((await stack.install()).status).toBe(200);
    });

    // The OAuth server, busy or failing, may answer a refresh in many ways; none of them is a
    // refused grant, so none is a vote for "uninstalled". The portal's own pair is the only
    // witness here, as right after an install, and its access token has run out.
    it.each([
      ['503 temporarily_unavailable', 503, 'temporarily_unavailable'],
      ['500 server_error', 500, 'server_error'],
      ['502 naming invalid_grant (a proxy in front of it, say)', 502, 'invalid_grant'],
      ['503 naming invalid_client', 503, 'invalid_client'],
      ['400 temporarily_unavailable', 400, 'temporarily_unavailable'],
    ])('%s: nothing is uninstalled, and the next attempt finds the app installed', async (_name, status, error) => {
      const portalPair = await stack.store.findTokens({ memberId: memberId(), userId: PORTAL_TOKEN_USER });
      portal().expireAccessTokens();
      portal().injectFault({ method: 'oauth/token', error, status, times: 1 });
      expect((await replayUninstall()).status).toBe(200);
      await stack.eventWork().settled();
      expect(await state()).toBe('installed');
      expect(await stack.store.findTokens({ memberId: memberId(), userId: PORTAL_TOKEN_USER })).toEqual(portalPair);
      const [waiting] = await stack.store.eventWork.list(memberId());
      expect(waiting).toMatchObject({ doneAt: null, outcome: null });

      await new Promise((resolve) => setTimeout(resolve, 250)); // the first back-off
      expect(await stack.eventWork().runOnce()).toBe(1);
      expect((await stack.store.eventWork.list(memberId()))[0]).toMatchObject({ outcome: 'still_installed' });
      expect(await state()).toBe('installed');
    });

    it("with the user's own pair stored as well, a 503 on the portal's refresh is outvoted at once", async () => {
      expect((await stack.open(0, PLAIN_USER_ID)).res.status).toBe(200);
      portal().expireAccessTokens();
      portal().injectFault({ method: 'oauth/token', error: 'temporarily_unavailable', status: 503, times: 1 });
      expect((await replayUninstall()).status).toBe(200);
      await stack.eventWork().settled();
      expect((await stack.store.eventWork.list(memberId()))[0]).toMatchObject({ outcome: 'still_installed' });
      expect(await state()).toBe('installed');
    });
  });

  describe('at its own pace', () => {
    const INTERVAL_SECONDS = 2;
    beforeEach(async () => {
      stack = await startStack({
        env: { EVENT_WORK_INTERVAL_MS: '200', UNINSTALL_CHECK_INTERVAL_SECONDS: String(INTERVAL_SECONDS) },
      });
      expect((await stack.install()).status).toBe(200);
      stack.eventWork().start();
    });

    it('asks Bitrix24 once per interval and writes one row, however often it is posted; a genuine uninstall after it still uninstalls', async () => {
      const since = portal().calls().length;
      const started = Date.now();
      const statuses: number[] = [];
      // About 20 a second for a second and a half, all inside one interval.
      while (Date.now() - started < 1500) {
        statuses.push((await replayUninstall()).status);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(statuses.length).toBeGreaterThan(15);
      expect(statuses.every((status) => status === 200)).toBe(true);
      await stack.eventWork().settled();
      expect(appInfoCalls(since)).toBe(1);
      const rows = await stack.store.eventWork.list(memberId());
      expect(rows).toHaveLength(1);
      expect(await state()).toBe('installed');

      // Bitrix24's own event, now: confirmed when the interval from the last check is over.
      expect((await portal().sendUninstallEvent()).status).toBe(200);
      const deadline = Date.now() + 10_000;
      while ((await state()) !== 'uninstalled' && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await state()).toBe('uninstalled');
      expect(appInfoCalls(since)).toBeLessThanOrEqual(3);
      expect((await stack.store.eventWork.list(memberId())).length).toBeLessThanOrEqual(2);
    });

    it('an event whose application token does not match, or for a portal the app does not know, writes nothing', async () => {
      const since = portal().calls().length;
      for (const fields of [
        { 'auth[member_id]': memberId(), 'auth[application_token]': 'not-the-token' },
        { 'auth[member_id]': 'a-portal-the-app-does-not-know', 'auth[application_token]': 'anything' },
      ])
        for (let i = 0; i < 5; i++)
          expect(
            (
              await stack.http
                .post('/events')
                .type('form')
                .send({ event: 'ONAPPUNINSTALL', ...fields })
            ).status,
          ).toBe(401);
      await stack.eventWork().settled();
      expect(await stack.store.eventWork.list(memberId())).toEqual([]);
      expect(await stack.store.eventWork.list('a-portal-the-app-does-not-know')).toEqual([]);
      expect(appInfoCalls(since)).toBe(0);
    });
  });
});
