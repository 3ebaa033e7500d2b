import { ADMIN_USER_ID, MARKETING_CHAT_ID } from '../../emulator/index';
import { installedStack, type InstalledStack } from '../support/stack';
import * as img from '../support/images';

// Bad input everywhere: a clear 4xx, never a 5xx or a hang.
describe('bad input', () => {
  let stack: InstalledStack;
  let token: string;
  const avatarPath = `/api/chats/${MARKETING_CHAT_ID}/avatar`;
  beforeAll(async () => {
    stack = await installedStack({ env: { UPLOADS_IN_FLIGHT: '2', UPLOAD_QUEUE_LENGTH: '1' }, users: [ADMIN_USER_ID] });
    token = stack.tokens[ADMIN_USER_ID]!;
  });
  afterAll(async () => {
    await stack.close();
  });
  const auth = () => ({ Authorization: `Bearer ${token}` });

  it('an oversized JSON body', async () => {
    const res = await stack.http
      .put('/api/admin/settings')
      .set(auth())
      .send({ junk: 'x'.repeat(200_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('BODY_TOO_LARGE');
  });

  it('malformed JSON', async () => {
    const res = await stack.http
      .put('/api/admin/settings')
      .set(auth())
      .set('Content-Type', 'application/json')
      .send('{"outputSide": ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
  });

  it('malformed multipart', async () => {
    const res = await stack.http
      .post(avatarPath)
      .set(auth())
      .set('Content-Type', 'multipart/form-data; boundary=xyz')
      .send('--xyz\r\nContent-Disposition: form-data; name="avatar"; filename="a.jpg"\r\n\r\nabc');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
  });

  it('an unexpected file field', async () => {
    const res = await stack.http.post(avatarPath).set(auth()).attach('other', Buffer.from('x'), 'x.jpg');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('UNEXPECTED_FIELD');
  });

  it('two files in one upload', async () => {
    const photo = await img.photo(50, 50);
    const res = await stack.http
      .post(avatarPath)
      .set(auth())
      .attach('avatar', photo, 'a.jpg')
      .attach('avatar', photo, 'b.jpg');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('UNEXPECTED_FIELD');
  });

  it('header injection in the file name changes nothing', async () => {
    const res = await stack.http
      .post(avatarPath)
      .set(auth())
      .attach('avatar', await img.photo(60, 60), 'a.jpg\r\nX-Injected: yes');
    expect(res.status).toBe(200);
    expect(res.headers['x-injected']).toBeUndefined();
  });

  it('non-numeric and absurd chat ids are INVALID_CHAT_ID', async () => {
    for (const id of ['', '-1', '0', '1e3', '99999999999', '12abc', '%00']) {
      const res = await stack.http
        .post(`/api/chats/${id}/avatar`)
        .set(auth())
        .attach('avatar', Buffer.from('x'), 'a.jpg');
      expect([id, res.status, res.body.error?.code]).toEqual([id, 400, 'INVALID_CHAT_ID']);
    }
  });

  it('very long strings in the query and in form posts', async () => {
    // A search is cut to 100 characters, not refused: it is typed by a person.
    const search = await stack.http
      .get('/api/chats')
      .set(auth())
      .query({ search: 'x'.repeat(5000) });
    expect(search.status).toBe(200);
    expect(search.body.chats).toEqual([]);
    const form = await stack.http
      .post('/')
      .type('form')
      .send({ member_id: 'm'.repeat(10_000), AUTH_ID: 'a'.repeat(10_000) });
    expect(form.status).toBe(401);
    expect(form.text).toContain('Open the app from Bitrix24 again');
    const event = await stack.http
      .post('/events')
      .type('form')
      .send({ event: 'x'.repeat(70_000) });
    expect(event.status).toBe(413);
  });

  it('parallel large uploads beyond the in-flight limit and the queue get 503 with Retry-After, and nothing else fails', async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 7);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => stack.http.post(avatarPath).set(auth()).attach('avatar', big, 'big.jpg')),
    );
    const busy = results.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]!.headers['retry-after']).toBeDefined();
    expect(busy[0]!.body.error.code).toBe('SERVER_BUSY');
    // The bytes are no image: every upload admitted is refused as such, none with a 5xx but 503.
    expect(new Set(results.filter((r) => r.status !== 503).map((r) => r.body.error.code))).toEqual(
      new Set(['UNSUPPORTED_IMAGE']),
    );
  });

  it('unknown routes answer a JSON 404', async () => {
    const res = await stack.http.get('/api/nothing-here').set(auth());
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});
