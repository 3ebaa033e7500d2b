import request from 'supertest';
import { pageData } from '../views/model';
import { startStack, type Stack } from '../support/stack';

// The page refuses an image with more pixels than the server decodes before uploading it
// (public/app.js); it can only if the server hands over its ceiling, MAX_INPUT_PIXELS.
describe('the limits a page is given', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { MAX_INPUT_PIXELS: '2000000' } });
    await stack.install();
  });
  afterAll(async () => {
    await stack.close();
  });
  const portal = () => stack.emulator.portals[0]!;

  it("gives the page in the portal's frame the server's pixel ceiling beside the portal's settings", async () => {
    const { res } = await stack.open();
    expect(pageData(res.text).limits).toEqual({
      maxUploadBytes: 10 * 1024 * 1024,
      outputSide: 512,
      maxInputPixels: 2_000_000,
    });
  });

  it('gives it to the page opened outside the portal too', async () => {
    const agent = request.agent(stack.appUrl);
    const start = await agent.get('/oauth/start').query({ domain: portal().domain });
    const authorize = new URL(start.headers.location!);
    authorize.searchParams.set('user', '2');
    const consent = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location')!);
    expect((await agent.get(`${callback.pathname}${callback.search}`)).headers.location).toBe('/app');
    const page = await agent.get('/app');
    expect(pageData(page.text).limits).toMatchObject({ maxInputPixels: 2_000_000 });
  });
});
