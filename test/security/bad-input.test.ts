import { startStack, type Stack } from '../support/stack';
import * as img from '../support/images';

// Bad input everywhere: a clear 4xx, never a 5xx or a hang.
describe('bad input', () => {
  let stack: Stack;
  let token: string;
  beforeAll(async () => {
    stack = await startStack({ env: { UPLOADS_IN_FLIGHT: '2', UPLOAD_QUEUE_LENGTH: '1' } });
    await stack.install();
    token = (await stack.open(0, 1)).token;
  });
  afterAll(async () => {
    await stack.close();
  });
  const auth = () => ({ Authorization: `Bearer ${token}` });

  it('an oversized JSON body', async () => {
    const res = await stack.http.put('/api/admin/settings').set(auth()).send({ junk: 'x'.repeat(200_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('BODY_TOO_LARGE');
  });

  it('malformed JSON', async () => {
    const res = await stack.http.put('/api/admin/settings').set(auth()).set('Content-Type', 'application/json').send('{"outputSide": ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
  });

  it('malformed multipart', async () => {
    const res = await stack.http
      .post('/api/chats/12/avatar')
      .set(auth())
      .set('Content-Type', 'multipart/form-data; boundary=xyz')
      .send('--xyz\r\nContent-Disposition: form-data; name="avatar"; filename="a.jpg"\r\n\r\nabc');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('an unexpected file field', async () => {
    const res = await stack.http.post('/api/chats/12/avatar').set(auth()).attach('other', Buffer.from('x'), 'x.jpg');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('UNEXPECTED_FIELD');
  });

  it('two files in one upload', async () => {
    const photo = await img.photo(50, 50);
    const res = await stack.http.post('/api/chats/12/avatar').set(auth()).attach('avatar', photo, 'a.jpg').attach('avatar', photo, 'b.jpg');
    expect(res.status).toBe(400);
  });

  it('header injection in the file name changes nothing', async () => {
    const res = await stack.http.post('/api/chats/12/avatar').set(auth()).attach('avatar', await img.photo(60, 60), 'a.jpg\r\nX-Injected: yes');
    expect(res.status).toBe(200);
    expect(res.headers['x-injected']).toBeUndefined();
  });

  it('non-numeric and absurd ids', async () => {
    for (const id of ['-1', '0', '1e3', '99999999999', '12abc', '%00']) {
      const res = await stack.http.post(`/api/chats/${id}/avatar`).set(auth()).attach('avatar', Buffer.from('x'), 'a.jpg');
      expect([400, 404]).toContain(res.status);
    }
  });

  it('very long strings in the query and in form posts', async () => {
    const search = await stack.http.get('/api/chats').set(auth()).query({ search: 'x'.repeat(5000) });
    expect(search.status).toBeLessThan(500);
    const form = await stack.http.post('/').type('form').send({ member_id: 'm'.repeat(10_000), AUTH_ID: 'a'.repeat(10_000) });
    expect(form.status).toBeGreaterThanOrEqual(400);
    expect(form.status).toBeLessThan(500);
    const event = await stack.http.post('/events').type('form').send({ event: 'x'.repeat(70_000) });
    expect(event.status).toBe(413);
  });

  it('parallel large uploads beyond the in-flight limit and the queue get 503 with Retry-After, and memory stays bounded', async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 7);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => stack.http.post('/api/chats/12/avatar').set(auth()).attach('avatar', big, 'big.jpg')),
    );
    const busy = results.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]!.headers['retry-after']).toBeDefined();
    expect(busy[0]!.body.error.code).toBe('SERVER_BUSY');
    expect(results.every((r) => r.status < 500 || r.status === 503)).toBe(true);
  });

  it('unknown routes answer a JSON 404', async () => {
    const res = await stack.http.get('/api/nothing-here').set(auth());
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});
