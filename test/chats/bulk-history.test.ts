import pino from 'pino';
import { createBulkHistory } from '../../server/chats/bulk-history';
import type { CapturedPicture, ChangeHistory, PictureCapture } from '../../server/chats/change-history';
import type { AvatarPipeline } from '../../server/avatar/avatar-pipeline';
import type { Portal } from '../../server/store/store';

// A job reads its chats' pictures before a step's request a few at a time, never more, and for a
// bounded time: whatever is not read by then is "not in time", and the step goes on.

const portal = { memberId: 'm1' } as Portal;

/** A history whose reads each take `ms`, counting how many run at once. */
function slowHistory(ms: number) {
  let running = 0;
  let most = 0;
  const stopped: string[] = [];
  const history = {
    capture(_portal: Portal, _chatId: number, link: string): PictureCapture {
      running++;
      most = Math.max(most, running);
      let stop = () => undefined as void;
      const result = new Promise<CapturedPicture>((resolve) => {
        const timer = setTimeout(() => resolve({ link, full: Buffer.from(link), format: 'png' }), ms);
        stop = () => {
          clearTimeout(timer);
          stopped.push(link);
          resolve({ link, missing: 'not_in_time' });
        };
      }).finally(() => running--);
      return { link, result, stop: () => stop() };
    },
  } as unknown as ChangeHistory;
  return { history, most: () => most, stopped };
}

const chats = (n: number) => Array.from({ length: n }, (_, i) => ({ chatId: i + 1, link: `/a/${i + 1}.png` }));

describe('the pictures a job reads before its changes', () => {
  const make = (history: ChangeHistory, deadlineMs: number) =>
    createBulkHistory({
      history,
      pipeline: {} as AvatarPipeline,
      settingsFor: async () => {
        throw new Error('not asked');
      },
      log: pino({ level: 'silent' }),
      concurrency: 6,
      deadlineMs,
    });

  it('reads six links at a time, every chat read', async () => {
    const slow = slowHistory(20);
    const read = await make(slow.history, 10_000).readBefore(portal, chats(50));
    expect(slow.most()).toBe(6);
    const results = await Promise.all([...read.values()].map((capture) => capture.result));
    expect(results).toHaveLength(50);
    expect(results.every((result) => 'full' in result)).toBe(true);
  });

  it('stops at its deadline: the reads under way and those never started are "not in time"', async () => {
    const slow = slowHistory(1000);
    const started = Date.now();
    const read = await make(slow.history, 100).readBefore(portal, chats(20));
    expect(Date.now() - started).toBeLessThan(900);
    const results = await Promise.all([...read.values()].map((capture) => capture.result));
    expect(results).toHaveLength(20);
    expect(results.every((result) => 'missing' in result && result.missing === 'not_in_time')).toBe(true);
    expect(slow.stopped).toHaveLength(6);
  });
});
