import * as img from '../support/images';
import { startStack, type Stack } from '../support/stack';

// Uploads wait instead of being refused: a burst of small uploads from one user waits its turn.
// With the old gate (8 uploads at once, the rest 503 at once) 12 of these 20 were refused,
// although all of them together needed a few MB.
jest.setTimeout(60_000);

describe('a burst of uploads with the default settings', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    expect((await stack.install()).status).toBe(200);
  });
  afterAll(() => stack?.close());

  it('serves 20 parallel small uploads by one user, none refused', async () => {
    const { token } = await stack.open(0, 1);
    const photo = await img.photo(400, 400);
    const statuses = await Promise.all(
      Array.from(
        { length: 20 },
        async () =>
          (
            await stack.http
              .post('/api/chats/12/avatar')
              .set('Authorization', `Bearer ${token}`)
              .attach('avatar', photo, 'p.jpg')
          ).status,
      ),
    );
    expect(statuses).toEqual(Array(20).fill(200));
  });
});
