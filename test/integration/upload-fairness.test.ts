import sharp from 'sharp';
import { ADMIN_USER_ID, MARKETING_CHAT_ID, OUTSIDER_USER_ID, PLAIN_USER_ID, SALES_CHAT_ID } from '../../emulator/index';
import { createAppMetrics, type AppMetrics } from '../../server/http/metrics';
import * as img from '../support/images';
import { startStack, type Stack } from '../support/stack';
import { trickleUpload } from '../support/trickle-upload';

// One account must not black out uploads for every portal. With the default settings (a 64 MB
// budget for request bodies) two plain users of one portal trickling seven large declared bodies
// at 20 KB/s (above the 8 KB/s floor), or one administrator who raised the portal's limit to
// 25 MB sending three, used to fill the budget: every other portal's uploads queued behind the
// first of theirs that did not fit, and waited UPLOAD_QUEUE_WAIT_MS (8 s) for it to give up or
// were answered 503, for as long as the trickle went on.
jest.setTimeout(120_000);

const MB = 1024 * 1024;

/** A PNG of about `bytes` that does not compress: noise, stored without compression. */
function noisePng(bytes: number): Promise<Buffer> {
  const side = Math.floor(Math.sqrt(bytes / 3));
  return sharp({
    create: { width: side, height: side, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 60 } },
  } as sharp.SharpOptions)
    .png({ compressionLevel: 0 })
    .toBuffer();
}

describe('upload capacity shared between portals', () => {
  let stack: Stack;
  let metrics: AppMetrics;
  let otherPortalToken: string;
  let photo: Buffer;

  beforeAll(async () => {
    metrics = createAppMetrics();
    stack = await startStack({ portals: 2, metrics });
    expect((await stack.install(0)).status).toBe(200);
    expect((await stack.install(1)).status).toBe(200);
    otherPortalToken = (await stack.open(1, PLAIN_USER_ID)).token;
    photo = await img.photo(600, 600);
  });
  afterAll(() => stack?.close());

  /** 20 KB/s: above UPLOAD_MIN_BYTES_PER_SECOND (8 KB/s). */
  const trickle = (token: string, chatId: number, declared: number) =>
    trickleUpload({ appUrl: stack.appUrl, token, chatId, declared, bytesPerSecond: 20 * 1024 });
  const raiseLimit = (token: string, maxUploadBytes: number) =>
    stack.http
      .put('/api/admin/settings')
      .set('Authorization', `Bearer ${token}`)
      .send({
        outputSide: 512,
        outputFormat: 'auto',
        jpegQuality: 85,
        maxUploadBytes,
        access: { mode: 'everyone', userIds: [] },
      });
  const gauge = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
  async function admittedOrWaiting(count: number) {
    const deadline = Date.now() + 10_000;
    while ((await gauge('uploads_in_flight')) + (await gauge('upload_queue_depth')) < count) {
      if (Date.now() > deadline) throw new Error(`fewer than ${count} uploads reached the gate`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  /**
   * The other portal's user applies a photo the page cropped and, at the same moment, an
   * original of `largeBytes` (as the page sends a file it cannot decode): each one's status and
   * how long it took.
   */
  async function otherPortalUploads(largeBytes: number) {
    const original = await noisePng(largeBytes);
    const started = Date.now();
    const apply = async (file: Buffer, name: string) => {
      const res = await stack.http
        .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
        .set('Authorization', `Bearer ${otherPortalToken}`)
        .attach('avatar', file, name);
      return { status: res.status, ms: Date.now() - started };
    };
    return Promise.all([apply(photo, 'crop.jpg'), apply(original, 'original.png')]);
  }

  it("leaves another portal's upload admitted at once while two plain users trickle seven large bodies", async () => {
    const users = [(await stack.open(0, PLAIN_USER_ID)).token, (await stack.open(0, OUTSIDER_USER_ID)).token];
    // Within the portal's default 10 MB limit; 20 KB/s is above UPLOAD_MIN_BYTES_PER_SECOND.
    const flood = Array.from({ length: 7 }, (_, i) => trickle(users[i % 2]!, SALES_CHAT_ID, 9.5 * MB));
    await admittedOrWaiting(7);
    // The flood holds memory for real: what its portal may, at least three of its bodies.
    expect(await gauge('upload_bytes_reserved')).toBeGreaterThanOrEqual(3 * 9.5 * MB);

    // 8 MB: more than the flood would leave free if the portal could hold more than its share.
    const other = await otherPortalUploads(8 * MB);
    expect(other.map((o) => o.status)).toEqual([200, 200]);
    expect(Math.max(...other.map((o) => o.ms))).toBeLessThan(5000);

    // The trickles themselves are cut once they fall behind their pace (9.5 MB in a minute),
    // not left to hold their memory until Node's requestTimeout.
    const answers = await Promise.all(flood);
    const cut = answers.filter((a) => a.status === 408);
    expect(cut.length).toBeGreaterThanOrEqual(3);
    expect(cut.every((a) => a.code === 'UPLOAD_TOO_SLOW')).toBe(true);
    expect(Math.min(...cut.map((a) => a.ms))).toBeLessThan(20_000);
    expect(answers.every((a) => a.status === 408 || a.status === 503)).toBe(true);
  });

  it("leaves another portal's upload admitted at once while an administrator with a 25 MB limit sends three", async () => {
    const admin = (await stack.open(0, ADMIN_USER_ID)).token;
    const raised = await raiseLimit(admin, 25 * MB);
    expect(raised.status).toBe(200);
    const otherAdmin = (await stack.open(1, ADMIN_USER_ID)).token;
    expect((await raiseLimit(otherAdmin, 25 * MB)).status).toBe(200);
    const flood = Array.from({ length: 3 }, () => trickle(admin, MARKETING_CHAT_ID, 25 * MB));
    await admittedOrWaiting(3);
    expect(await gauge('upload_bytes_reserved')).toBeGreaterThanOrEqual(25 * MB);

    // 16 MB, within the other portal's own raised limit: more than two of the flood's bodies
    // would leave free.
    const other = await otherPortalUploads(16 * MB);
    expect(other.map((o) => o.status)).toEqual([200, 200]);
    expect(Math.max(...other.map((o) => o.ms))).toBeLessThan(5000);

    const answers = await Promise.all(flood);
    expect(answers.every((a) => a.status === 408 || a.status === 503)).toBe(true);
  });
});
