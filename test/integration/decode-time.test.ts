import { MARKETING_CHAT_ID, PLAIN_USER_ID } from '../../emulator/index';
import { createAvatarPipeline } from '../../server/avatar/avatar-pipeline';
import { messageOf } from '../../server/errors';
import * as img from '../support/images';
import { MOST_SCANS, progressiveJpeg } from '../support/progressive-jpeg';
import { startStack, type Stack } from '../support/stack';

// Decode priced by time too, through HTTP. Four progressive JPEGs of 883 scans (352 KB,
// 10000x10000 grey, 35 s of a core each) from one plain user used to be admitted on their
// memory alone, and another portal's 2 KB upload waited behind them for as long: the decode
// queue had no deadline. Now they are refused from their bytes, a decode that outlives its
// deadline is answered and stopped, a wait for a turn has its own deadline, and a turn goes
// to the portal with the fewest decodes running.
jest.setTimeout(120_000);

const output = { side: 512, format: 'auto' as const, jpegQuality: 85 };

async function twoPortals(env: Record<string, string> = {}) {
  const stack = await startStack({ portals: 2, env });
  expect((await stack.install(0)).status).toBe(200);
  expect((await stack.install(1)).status).toBe(200);
  return {
    stack,
    hostile: (await stack.open(0, PLAIN_USER_ID)).token,
    other: (await stack.open(1, PLAIN_USER_ID)).token,
  };
}

function upload(stack: Stack, token: string, file: Buffer) {
  const started = Date.now();
  return stack.http
    .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
    .set('Authorization', `Bearer ${token}`)
    .attach('avatar', file, 'photo.jpg')
    .then((res) => ({
      status: res.status,
      code: (res.body as { error?: { code: string } }).error?.code,
      message: (res.body as { error?: { message: string } }).error?.message,
      retryAfter: res.headers['retry-after'] as string | undefined,
      ms: Date.now() - started,
    }));
}

const changesOf = (stack: Stack, portal: number) =>
  stack.emulator.portals[portal]!.calls().filter(
    (c) => c.method === 'imbot.chat.updateAvatar' || c.method === 'imbot.v2.Chat.update',
  ).length;

describe('four scan bombs from one plain user, with the default settings', () => {
  let stack: Stack;
  let hostile: string;
  let other: string;
  beforeAll(async () => ({ stack, hostile, other } = await twoPortals()));
  afterAll(() => stack?.close());

  it('are refused with 413 IMAGE_TOO_COMPLEX from their header, while another portal’s 2 KB upload is served', async () => {
    const bomb = progressiveJpeg({ width: 10_000, height: 10_000, scans: MOST_SCANS });
    const small = await img.photo(64, 64);
    expect(small.length).toBeLessThan(4096);
    const bombs = Array.from({ length: 4 }, () => upload(stack, hostile, bomb));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const answers = await Promise.all([...bombs, upload(stack, other, small)]);
    console.log(
      `4 scan bombs: ${answers
        .slice(0, 4)
        .map((a) => `${a.status} in ${a.ms} ms`)
        .join(', ')}; the other portal's 2 KB upload: ${answers[4]!.status} in ${answers[4]!.ms} ms`,
    );
    for (const answer of answers.slice(0, 4)) {
      expect(answer).toMatchObject({
        status: 413,
        code: 'IMAGE_TOO_COMPLEX',
        message: messageOf('IMAGE_TOO_COMPLEX', 'en'),
      });
      expect(answer.ms).toBeLessThan(3000);
    }
    expect(answers[4]).toMatchObject({ status: 200 });
    expect(answers[4]!.ms).toBeLessThan(3000);
    expect(changesOf(stack, 0)).toBe(0);
    const { entries } = await stack.store.listAuditEntries(stack.emulator.portals[0]!.memberId, {
      limit: 10,
      offset: 0,
    });
    expect(entries.filter((e) => e.errorCode === 'IMAGE_TOO_COMPLEX')).toHaveLength(4);
  });
});

describe('slow decodes that pass the header checks, with deadlines measured against them', () => {
  // 100 scans, the most allowed, on 64 MP of grey (about 200 KB): each decode is one call into
  // libjpeg that nothing interrupts, and it is bound by memory bandwidth, so two at once take
  // longer each. Their times on this machine are the units of the tests.
  const slow = progressiveJpeg({ width: 8000, height: 8000, scans: 100 });
  let unitMs: number;
  let pairMs: number;
  beforeAll(async () => {
    const pipeline = createAvatarPipeline({ maxInputPixels: 100_000_000 });
    const decode = () => pipeline.normaliseAvatar(slow, { output });
    await decode();
    let started = Date.now();
    await decode();
    unitMs = Date.now() - started;
    started = Date.now();
    await Promise.all([decode(), decode()]);
    pairMs = Date.now() - started;
    console.log(`one slow decode alone: ${unitMs} ms; two at once: ${pairMs} ms`);
  });

  it('answers a decode past its deadline with 413 IMAGE_TOO_SLOW, and serves another portal first when a turn frees', async () => {
    // Two decodes at once; the deadline a quarter of the pair's time; a wait may last one and a half.
    const { stack, hostile, other } = await twoPortals({
      DECODE_TIMEOUT_MS: String(Math.max(100, Math.round(pairMs / 4))),
      DECODE_QUEUE_WAIT_MS: String(Math.round(pairMs * 1.5)),
    });
    try {
      const slows = Array.from({ length: 4 }, () => upload(stack, hostile, slow));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const answers = await Promise.all([...slows, upload(stack, other, await img.photo(64, 64))]);
      console.log(
        `pair ${pairMs} ms: 4 slow uploads ${answers
          .slice(0, 4)
          .map((a) => `${a.status} ${a.code ?? ''} in ${a.ms} ms`)
          .join(', ')}; the other portal's: ${answers[4]!.status} in ${answers[4]!.ms} ms`,
      );
      // The two decoded first are answered at their deadline, long before their decodes end.
      const cut = answers.slice(0, 4).filter((a) => a.ms < pairMs * 0.75);
      expect(cut).toHaveLength(2);
      for (const answer of cut)
        expect(answer).toMatchObject({
          status: 413,
          code: 'IMAGE_TOO_SLOW',
          message: messageOf('IMAGE_TOO_SLOW', 'en'),
        });
      // The other portal takes the first turn freed (when the two have stopped), ahead of the
      // two queued before it: in arrival order it would have waited for two pairs.
      expect(answers[4]).toMatchObject({ status: 200 });
      expect(answers[4]!.ms).toBeLessThan(pairMs * 1.5);
      for (const answer of answers.slice(0, 4)) expect([413, 503]).toContain(answer.status);
      expect(changesOf(stack, 0)).toBe(0);
    } finally {
      await stack.close();
    }
  });

  it('answers an upload that waited past its deadline with 503 SERVER_BUSY and a Retry-After, instead of holding it behind four', async () => {
    // One decode at a time, a wait of a quarter of a decode.
    const { stack, hostile, other } = await twoPortals({
      PIPELINE_CONCURRENCY: '1',
      DECODE_TIMEOUT_MS: String(Math.round(unitMs * 4)),
      DECODE_QUEUE_WAIT_MS: String(Math.max(100, Math.round(unitMs / 4))),
    });
    try {
      const slows = Array.from({ length: 4 }, () => upload(stack, hostile, slow));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const answers = await Promise.all([...slows, upload(stack, other, await img.photo(64, 64))]);
      console.log(
        `unit ${unitMs} ms: 4 slow uploads ${answers
          .slice(0, 4)
          .map((a) => `${a.status} ${a.code ?? ''} in ${a.ms} ms`)
          .join(', ')}; the other portal's: ${answers[4]!.status} ${answers[4]!.code} in ${answers[4]!.ms} ms`,
      );
      expect(answers[4]).toMatchObject({
        status: 503,
        code: 'SERVER_BUSY',
        message: messageOf('SERVER_BUSY', 'en'),
        retryAfter: String(Math.ceil((unitMs * 4) / 1000)),
      });
      // Answered once its own wait ran out, not after the four decodes (4 units) in its way.
      expect(answers[4]!.ms).toBeLessThan(unitMs);
      expect(answers.slice(0, 4).filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.slice(0, 4).filter((a) => a.code === 'SERVER_BUSY')).toHaveLength(3);
    } finally {
      await stack.close();
    }
  });
});
