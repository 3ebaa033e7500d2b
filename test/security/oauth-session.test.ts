import Database from 'better-sqlite3';
import request from 'supertest';
import { startStack, type Stack } from '../support/stack';

// A sign-in writes nothing until it succeeds: /oauth/start once wrote one session row per
// request (3000 in 10 s). The state now rides in a signed cookie; a session exists only once a sign-in succeeds.

describe('sign-in outside the portal', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await stack.install();
  });
  afterAll(() => stack.close());

  const sessionRows = () => {
    const db = new Database((stack.temp as unknown as { path: string }).path, { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('writes no session for /oauth/start, however often it is called', async () => {
    const before = sessionRows();
    for (let i = 0; i < 20; i++)
      expect((await stack.http.get('/oauth/start').query({ domain: stack.emulator.portals[0]!.domain })).status).toBe(
        302,
      );
    expect(sessionRows()).toBe(before);
  });

  it('refuses a return whose state cookie was forged, swapped or is missing, and then still writes no session', async () => {
    const before = sessionRows();
    const agent = request.agent(stack.appUrl);
    const start = await agent.get('/oauth/start').query({ domain: stack.emulator.portals[0]!.domain });
    const state = new URL(start.headers.location!).searchParams.get('state')!;
    const cookie = /chat_avatar_oauth_state=([^;]+)/.exec(String(start.headers['set-cookie']))![1]!;
    // A changed first character of the signature (the last one carries padding bits that decoding ignores).
    const forged = cookie.replace(
      /\.([A-Za-z0-9_-])([A-Za-z0-9_-]{42})$/,
      (_all, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest}`,
    );
    expect(forged).not.toBe(cookie);
    const back = (value: string | null) => {
      const req = stack.http
        .get('/')
        .query({ code: 'code-1234', state, member_id: stack.emulator.portals[0]!.memberId })
        .set('Accept', 'application/json');
      return value === null ? req : req.set('Cookie', `chat_avatar_oauth_state=${value}`);
    };
    for (const value of [forged, null, cookie.replace(state, 'x'.repeat(32))])
      expect((await back(value)).body.error.code).toBe('OAUTH_STATE_MISMATCH');
    expect(sessionRows()).toBe(before);
  });
});
