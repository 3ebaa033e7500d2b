import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import pino from 'pino';
import { createAvatarLinkFetcher } from '../../server/bitrix24/avatar-link';
import { STRICT_EGRESS } from '../../server/bitrix24/http-json';
import { createAvatarPipeline } from '../../server/avatar/avatar-pipeline';
import { createChangeHistory, sniffImageFormat, type MadeChange } from '../../server/chats/change-history';
import { avatarHistoryRecords, type AvatarHistoryRecords } from '../../server/store/avatar-history';
import { sqliteDialect, type Dialect } from '../../server/store/dialect';
import { migrate } from '../../server/store/migrate';
import type { Portal, PortalSettings } from '../../server/store/store';
import { photo, png, truncated } from '../support/images';

// The picture a change replaces is read while the change is made, never after Bitrix24 answered,
// and never holds the change up; both pictures are kept, their thumbnails made afterwards.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let origin = '';
let handler: Handler;
let hits = 0;
let dir: string;
let dialect: Dialect;
let records: AvatarHistoryRecords;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(async () => {
  hits = 0;
  dir = mkdtempSync(join(tmpdir(), 'chat-avatar-history-'));
  dialect = sqliteDialect(join(dir, 'app.sqlite'));
  await migrate(dialect);
  records = avatarHistoryRecords(dialect);
});
afterEach(async () => {
  await dialect.db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const portal = (): Portal =>
  ({ memberId: 'member-a', clientEndpoint: `${origin}/rest/`, botId: 501 }) as unknown as Portal;
const settings: PortalSettings = {
  outputSide: 256,
  outputFormat: 'auto',
  jpegQuality: 85,
  maxUploadBytes: 1 << 20,
  access: { mode: 'everyone', userIds: [] },
};

function history(timeoutMs = 2000) {
  return createChangeHistory({
    records,
    fetcher: createAvatarLinkFetcher({
      policy: {
        allowHttp: true,
        extraHosts: [],
        egress: { ...STRICT_EGRESS, allowPrivateNetworks: true },
        maxBytes: 1 << 20,
        timeoutMs,
      },
    }),
    pipeline: createAvatarPipeline({ maxInputPixels: 50_000_000 }),
    log: pino({ level: 'silent' }),
    undoWindowMs: 15 * 60_000,
    bytesPerPortal: 16 << 20,
  });
}

const made = async (over: Partial<MadeChange> = {}): Promise<MadeChange> => ({
  portal: portal(),
  user: { id: 7, name: 'Anna' },
  chatId: 12,
  changeKey: 'key-1',
  kind: 'change',
  linkBefore: `${origin}/upload/old.png`,
  linkAfter: `${origin}/upload/new.jpg`,
  after: { data: await photo(256, 256), format: 'jpeg' },
  settings,
  ...over,
});

const serveImage =
  (image: Buffer): Handler =>
  (_req, res) =>
    res.writeHead(200, { 'content-type': 'image/png' }).end(image);

describe('keeping the picture a change replaces', () => {
  it('reads it from the avatar link, keeps it byte for byte, and makes both thumbnails afterwards', async () => {
    const old = await png(120, 120);
    handler = serveImage(old);
    const h = history();
    const change = await made();
    const capture = h.capture(portal(), 12, change.linkBefore);
    await capture.result;
    const note = await h.record(capture, change);
    expect(note.before).toBe('kept');
    expect(note.undoUntil.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    await h.idle();
    const entry = await records.findByChange('member-a', 7, 'key-1');
    expect(entry?.before.full?.equals(old)).toBe(true);
    expect(entry?.before.format).toBe('png');
    expect(entry?.after.full?.equals(change.after.data)).toBe(true);
    for (const thumb of [entry!.before.thumb!, entry!.after.thumb!])
      expect(await sharp(thumb).metadata()).toMatchObject({ width: 64, height: 64, format: 'jpeg' });
  });

  it('says the chat had no picture when its link is empty, and reads nothing', async () => {
    const h = history();
    const capture = h.capture(portal(), 12, '');
    const note = await h.record(capture, await made({ linkBefore: '' }));
    expect(note.before).toBe('no_picture');
    expect(hits).toBe(0);
    await h.idle();
    expect((await records.findByChange('member-a', 7, 'key-1'))?.before.missing).toBe('no_picture');
  });

  it('takes a picture it already keeps at that link instead of reading the link again', async () => {
    handler = serveImage(await png(32, 32));
    const h = history();
    const first = await made();
    await h.record(h.capture(portal(), 12, first.linkBefore), first);
    await h.idle();
    hits = 0;
    // The next change replaces the picture the first one set.
    const second = await made({
      changeKey: 'key-2',
      linkBefore: first.linkAfter,
      linkAfter: `${origin}/upload/third.jpg`,
    });
    const capture = h.capture(portal(), 12, second.linkBefore);
    expect(await h.record(capture, second)).toMatchObject({ before: 'kept' });
    expect(hits).toBe(0);
    await h.idle();
    const entry = await records.findByChange('member-a', 7, 'key-2');
    expect(entry?.before.full?.equals(first.after.data)).toBe(true);
  });

  it('stores a picture once: the change that replaces it names the entry that set it, even one still being written', async () => {
    handler = serveImage(await png(32, 32));
    const h = history();
    const first = await made();
    const second = await made({
      changeKey: 'key-2',
      linkBefore: first.linkAfter,
      linkAfter: `${origin}/upload/third.jpg`,
      after: { data: await photo(200, 200), format: 'jpeg' },
    });
    const read = h.capture(portal(), 12, first.linkBefore);
    await read.result;
    await h.record(read, first);
    // Not waited for: the next change comes while the first one's entry is being written.
    hits = 0;
    expect(await h.record(h.capture(portal(), 12, second.linkBefore), second)).toMatchObject({ before: 'kept' });
    const third = await made({ changeKey: 'key-3', linkBefore: second.linkAfter, linkAfter: `${origin}/upload/4.jpg` });
    await h.idle();
    expect(await h.record(h.capture(portal(), 12, third.linkBefore), third)).toMatchObject({ before: 'kept' });
    await h.idle();
    expect(hits).toBe(0);
    const rows = await dialect.db
      .selectFrom('avatar_history')
      .select(['id', 'change_key', 'before_full', 'before_set_by', 'after_full'])
      .orderBy('id')
      .execute();
    // Each picture once: the first change's two, and one for each change after it.
    expect(rows.map((row) => [row.before_full !== null, row.after_full !== null])).toEqual([
      [true, true],
      [false, true],
      [false, true],
    ]);
    expect(rows.slice(1).map((row) => row.before_set_by)).toEqual([rows[0]!.id, rows[1]!.id]);
    expect((await records.findByChange('member-a', 7, 'key-2'))?.before.full?.equals(first.after.data)).toBe(true);
    expect((await records.findByChange('member-a', 7, 'key-3'))?.before.full?.equals(second.after.data)).toBe(true);
  });

  it('answers before the entry is written, and whoever waits for the change (an Undo) gets it once it is', async () => {
    handler = serveImage(await png(120, 120));
    const h = history();
    const change = await made();
    const capture = h.capture(portal(), 12, change.linkBefore);
    await capture.result;
    expect(await h.record(capture, change)).toMatchObject({ before: 'kept' });
    expect(await h.written('member-a', 7, 'key-1')).toBe(true);
    const entry = await records.findByChange('member-a', 7, 'key-1');
    expect(entry?.before.thumb).toBeInstanceOf(Buffer);
    expect(entry?.after.thumb).toBeInstanceOf(Buffer);
    // Nothing being written for any other change: no wait.
    expect(await h.written('member-a', 7, 'another')).toBe(true);
  });

  it('says an entry that could not be written is not kept, to its Undo and to a retry of its change', async () => {
    const failing: AvatarHistoryRecords = {
      ...records,
      add: () => Promise.reject(new Error('disk full')),
    };
    const h = createChangeHistory({
      records: failing,
      fetcher: createAvatarLinkFetcher({
        policy: {
          allowHttp: true,
          extraHosts: [],
          egress: { ...STRICT_EGRESS, allowPrivateNetworks: true },
          maxBytes: 1 << 20,
          timeoutMs: 2000,
        },
      }),
      pipeline: createAvatarPipeline({ maxInputPixels: 50_000_000 }),
      log: pino({ level: 'silent' }),
      undoWindowMs: 15 * 60_000,
      bytesPerPortal: 16 << 20,
    });
    const change = await made({ linkBefore: '' });
    await h.record(h.capture(portal(), 12, ''), change);
    expect(await h.written('member-a', 7, 'key-1')).toBe(false);
    expect(await h.describe('member-a', 7, 'key-1')).toMatchObject({ before: 'not_kept', reason: 'not_stored' });
  });

  it('decodes nothing after the answer when both thumbnails are at hand', async () => {
    const pipeline = createAvatarPipeline({ maxInputPixels: 50_000_000 });
    let decodes = 0;
    const counted = {
      normaliseAvatar: (...args: Parameters<typeof pipeline.normaliseAvatar>) => (
        decodes++,
        pipeline.normaliseAvatar(...args)
      ),
    };
    const h = createChangeHistory({
      records,
      fetcher: createAvatarLinkFetcher({
        policy: {
          allowHttp: true,
          extraHosts: [],
          egress: { ...STRICT_EGRESS, allowPrivateNetworks: true },
          maxBytes: 1 << 20,
          timeoutMs: 2000,
        },
      }),
      pipeline: counted,
      log: pino({ level: 'silent' }),
      undoWindowMs: 15 * 60_000,
      bytesPerPortal: 16 << 20,
    });
    handler = serveImage(await png(32, 32));
    const thumb = Buffer.from('a thumbnail');
    const first = await made();
    first.after.thumb = thumb;
    const capture = h.capture(portal(), 12, first.linkBefore);
    await capture.result;
    await h.record(capture, first);
    await h.idle();
    // The picture read from the link was decoded for its thumbnail; the one set came with its own.
    expect(decodes).toBe(1);
    const second = await made({ changeKey: 'key-2', linkBefore: first.linkAfter, linkAfter: `${origin}/upload/x.jpg` });
    second.after.thumb = thumb;
    await h.record(h.capture(portal(), 12, second.linkBefore), second);
    await h.idle();
    expect(decodes).toBe(1);
    expect((await records.findByChange('member-a', 7, 'key-2'))?.before.thumb?.equals(thumb)).toBe(true);
  });

  it('never waits for a slow link: what was not read when Bitrix24 answered is not kept', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write(Buffer.from([0x89, 0x50]));
    };
    const h = history(30_000);
    const change = await made();
    const capture = h.capture(portal(), 12, change.linkBefore);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const note = await h.record(capture, change);
    expect(Date.now() - started).toBeLessThan(500);
    expect(note).toMatchObject({ before: 'not_kept', reason: 'not_in_time' });
    await h.idle();
  });

  it('says why a link gave no picture: refused, not an image, or the chat changed meanwhile', async () => {
    const h = history();
    // Read to its end before Bitrix24 answers, as while an upload is decoded.
    const recordRead = async (link: string, change: MadeChange) => {
      const capture = h.capture(portal(), 12, link);
      await capture.result;
      return h.record(capture, change);
    };
    const elsewhere = await made({ linkBefore: 'http://169.254.169.254/latest/meta-data/' });
    expect(await recordRead(elsewhere.linkBefore, elsewhere)).toMatchObject({ reason: 'link_not_allowed' });
    // Refused at once, whenever Bitrix24 answers.
    expect(
      await h.record(h.capture(portal(), 12, elsewhere.linkBefore), { ...elsewhere, changeKey: 'k' }),
    ).toMatchObject({
      reason: 'link_not_allowed',
    });
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('<html>sign in</html>');
    const page = await made({ changeKey: 'key-2' });
    expect(await recordRead(page.linkBefore, page)).toMatchObject({ reason: 'not_an_image' });
    handler = serveImage(await png(16, 16));
    const moved = await made({ changeKey: 'key-3', linkBefore: `${origin}/upload/someone-else.png` });
    expect(await recordRead(`${origin}/upload/old.png`, moved)).toMatchObject({ reason: 'changed_meanwhile' });
    await h.idle();
  });

  it('drops a picture whose header passes but which does not decode, once its thumbnail is tried', async () => {
    handler = serveImage(truncated(await png(400, 400), 0.3));
    const h = history();
    const change = await made();
    const capture = h.capture(portal(), 12, change.linkBefore);
    await capture.result;
    await h.record(capture, change);
    await h.idle();
    const entry = await records.findByChange('member-a', 7, 'key-1');
    expect(entry?.before).toMatchObject({ full: null, thumb: null, missing: 'not_an_image' });
    expect(entry?.after.thumb).not.toBeNull();
  });

  it('keeps a picture Bitrix24 would not take back as it is normalised instead (a TIFF)', async () => {
    handler = serveImage(
      await sharp({ create: { width: 50, height: 50, channels: 3, background: '#336699' } })
        .tiff()
        .toBuffer(),
    );
    const h = history();
    const change = await made();
    const capture = h.capture(portal(), 12, change.linkBefore);
    await capture.result;
    await h.record(capture, change);
    await h.idle();
    const entry = await records.findByChange('member-a', 7, 'key-1');
    expect(['png', 'jpeg']).toContain(entry?.before.format);
    expect(await sharp(entry!.before.full!).metadata()).toMatchObject({ width: 256, height: 256 });
  });

  it('tells an image from anything else by its first bytes, without waiting for a decode', async () => {
    expect(sniffImageFormat(await photo(8, 8))).toBe('jpeg');
    expect(sniffImageFormat(await png(8, 8))).toBe('png');
    expect(
      sniffImageFormat(
        await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
          .webp()
          .toBuffer(),
      ),
    ).toBe('webp');
    expect(
      sniffImageFormat(
        await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
          .gif()
          .toBuffer(),
      ),
    ).toBe('gif');
    expect(
      sniffImageFormat(
        await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
          .tiff()
          .toBuffer(),
      ),
    ).toBe('tiff');
    for (const text of ['<!doctype html><title>Sign in</title>', '', 'GIF8', '\xff\xd8'])
      expect(sniffImageFormat(Buffer.from(text, 'latin1'))).toBeNull();
  });
});
