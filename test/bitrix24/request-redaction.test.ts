import { createHash } from 'node:crypto';
import { toQuery } from '../../server/bitrix24/batch';
import { loggedJson, MAX_LOGGED_JSON_CHARS, toLogEntry } from '../../server/bitrix24/request-log';
import { redactForLog, withhold } from '../../server/bitrix24/request-redaction';

// What the request log keeps of a request and its answer: everything but tokens, secrets and
// images, each of which is replaced by its length and the start of its SHA-256.
describe('the request log’s redaction', () => {
  const token = 'e703a069000071b00084400023bf0f10751a702af1e';
  const image = Buffer.alloc(3000, 7).toString('base64');
  const sha = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 16);

  it('withholds the REST call’s auth and its images, at any depth, and keeps the rest', () => {
    const kept = redactForLog({
      auth: token,
      CHAT_ID: 12,
      BOT_ID: 501,
      CLIENT_ID: 'local.abc',
      AVATAR: image,
      FIELDS: { PROPERTIES: { NAME: 'Chat Avatar', PERSONAL_PHOTO: image } },
      fields: { avatar: image },
    });
    expect(kept).toEqual({
      auth: { withheld: 'secret', length: token.length, sha256: sha(token) },
      CHAT_ID: 12,
      BOT_ID: 501,
      CLIENT_ID: 'local.abc',
      AVATAR: { withheld: 'image', length: image.length, sha256: sha(image) },
      FIELDS: { PROPERTIES: { NAME: 'Chat Avatar', PERSONAL_PHOTO: withhold('image', image) } },
      fields: { avatar: withhold('image', image) },
    });
  });

  it('reads a batch’s commands as method and parameters, withholding what is inside their queries', () => {
    const cmd = {
      before: `im.dialog.get?${toQuery({ DIALOG_ID: 'chat12' })}`,
      change: `imbot.v2.Chat.update?${toQuery({ botId: 501, dialogId: 'chat12', fields: { avatar: image } })}`,
      join: `im.chat.user.add?${toQuery({ CHAT_ID: 12, USERS: [501], HIDE_HISTORY: 'Y' })}`,
    };
    expect(redactForLog({ halt: 1, cmd, auth: token })).toEqual({
      halt: 1,
      cmd: {
        before: { method: 'im.dialog.get', params: { DIALOG_ID: 'chat12' } },
        change: {
          method: 'imbot.v2.Chat.update',
          params: { botId: '501', dialogId: 'chat12', 'fields[avatar]': withhold('image', image) },
        },
        join: { method: 'im.chat.user.add', params: { CHAT_ID: '12', 'USERS[0]': '501', HIDE_HISTORY: 'Y' } },
      },
      auth: withhold('secret', token),
    });
  });

  it('withholds the OAuth grant’s secret, refresh token and code, and the tokens of its answer', () => {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: 'r-token-1234',
      client_id: 'local.abc',
      client_secret: 'the-client-secret',
    });
    expect(redactForLog(form)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: withhold('secret', 'r-token-1234'),
      client_id: 'local.abc',
      client_secret: withhold('secret', 'the-client-secret'),
    });
    expect(redactForLog(new URLSearchParams({ grant_type: 'authorization_code', code: 'c0de' }))).toEqual({
      grant_type: 'authorization_code',
      code: withhold('secret', 'c0de'),
    });
    expect(
      redactForLog({ access_token: 'a1', refresh_token: 'r1', member_id: 'm1', client_endpoint: 'https://x/rest/' }),
    ).toEqual({
      access_token: withhold('secret', 'a1'),
      refresh_token: withhold('secret', 'r1'),
      member_id: 'm1',
      client_endpoint: 'https://x/rest/',
    });
  });

  it('keeps Bitrix24’s own CODE fields (a bot’s, app.info’s), which are not secrets', () => {
    expect(redactForLog({ result: { CODE: 'local.abc', ID: 7 } })).toEqual({ result: { CODE: 'local.abc', ID: 7 } });
  });

  it('withholds a long run of Base64 under any name as an image', () => {
    expect(redactForLog({ something: image })).toEqual({ something: withhold('image', image) });
    expect(redactForLog({ something: 'short text' })).toEqual({ something: 'short text' });
  });

  it('keeps an entry of no secret value: not a token, a secret or an image, anywhere in its text', () => {
    const entry = toLogEntry({
      memberId: 'member-a',
      userId: 2,
      target: 'rest',
      method: 'batch',
      params: { auth: token, cmd: { c: `imbot.chat.updateAvatar?${toQuery({ AVATAR: image })}` } },
      status: 200,
      outcome: 'ok',
      answer: { result: { access_token: token } },
      startedAt: Date.parse('2026-03-01T00:00:00Z'),
      ms: 5,
    });
    const text = `${entry.request} ${entry.answer}`;
    expect(text).not.toContain(token);
    expect(text).not.toContain(image.slice(0, 64));
    expect(entry.at.toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });

  it('keeps an answer longer than the limit as its start and its length', () => {
    const long = { result: 'x'.repeat(MAX_LOGGED_JSON_CHARS + 10) };
    const kept = JSON.parse(loggedJson(long)) as { cut: boolean; chars: number; start: string };
    expect(kept.cut).toBe(true);
    expect(kept.chars).toBe(JSON.stringify(long).length);
    expect(kept.start.length).toBe(MAX_LOGGED_JSON_CHARS / 2);
  });
});
