import { AppError } from '../../../server/errors';
import { parseAuditQuery } from '../../../server/http/schemas/admin';
import { parseChatId, parseChatListQuery, parseUploadFields } from '../../../server/http/schemas/chats';
import { parseEvent } from '../../../server/http/schemas/events';
import { parseAuthorizationCode, parseOAuthStart } from '../../../server/http/schemas/oauth';
import { parseSessionRenewal } from '../../../server/http/schemas/session';

/** The code a parser refuses the input with. */
function codeOf(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).code;
  }
  throw new Error('the input was accepted');
}

const TOKEN = 'a1b2c3d4e5f6.token_x';

describe('POST /events', () => {
  it('reads the event and its nested auth', () => {
    expect(
      parseEvent({ event: 'ONAPPUNINSTALL', auth: { member_id: 'm1', application_token: 'app-token', domain: 'x' } }),
    ).toEqual({
      event: 'ONAPPUNINSTALL',
      memberId: 'm1',
      applicationToken: 'app-token',
      refreshToken: null,
      clean: false,
      botJoin: null,
    });
  });

  it('reads ONAPPUNINSTALL’s data[CLEAN] and ONIMBOTJOINCHAT’s PARAMS, and nothing of data[BOT] or data[USER]', () => {
    const auth = { member_id: 'm1', application_token: 'app-token' };
    expect(parseEvent({ event: 'ONAPPUNINSTALL', data: { CLEAN: '1', LANGUAGE_ID: 'en' }, auth }).clean).toBe(true);
    expect(parseEvent({ event: 'ONAPPUNINSTALL', data: { CLEAN: '0' }, auth }).clean).toBe(false);
    const join = parseEvent({
      event: 'ONIMBOTJOINCHAT',
      data: {
        BOT: { '501': { access_token: 'bot-token', refresh_token: 'bot-refresh', BOT_ID: '501' } },
        PARAMS: { CHAT_TYPE: 'C', BOT_ID: '501', DIALOG_ID: 'chat12', LANGUAGE: 'de', USER_ID: '2' },
        USER: { ID: '2', NAME: 'Boris User' },
      },
      auth,
    });
    expect(join).toEqual({
      event: 'ONIMBOTJOINCHAT',
      memberId: 'm1',
      applicationToken: 'app-token',
      refreshToken: null,
      clean: false,
      botJoin: { botId: 501, dialogId: 'chat12', chatType: 'C', language: 'de' },
    });
    // A dialog id that is neither `chatN` nor a user's id, or no bot: no join to greet.
    const odd = { CHAT_TYPE: 'C', BOT_ID: '501', DIALOG_ID: 'chat12; DROP' };
    expect(parseEvent({ event: 'ONIMBOTJOINCHAT', data: { PARAMS: odd }, auth }).botJoin).toBeNull();
    expect(
      parseEvent({ event: 'ONIMBOTJOINCHAT', data: { PARAMS: { DIALOG_ID: 'chat12' } }, auth }).botJoin,
    ).toBeNull();
  });

  it('refuses an event without a name or member_id as EVENT_NOT_VERIFIED', () => {
    expect(codeOf(() => parseEvent({ auth: { member_id: 'm1' } }))).toBe('EVENT_NOT_VERIFIED');
    expect(codeOf(() => parseEvent({ event: 'ONAPPUNINSTALL', auth: {} }))).toBe('EVENT_NOT_VERIFIED');
    expect(codeOf(() => parseEvent({ event: 'ONAPPUNINSTALL', auth: 'm1' }))).toBe('EVENT_NOT_VERIFIED');
    expect(codeOf(() => parseEvent({ event: 'x'.repeat(513), auth: { member_id: 'm1' } }))).toBe('EVENT_NOT_VERIFIED');
  });

  it('takes a missing or overlong application token as none, which no portal matches', () => {
    expect(parseEvent({ event: 'E', auth: { member_id: 'm1' } }).applicationToken).toBe('');
    expect(
      parseEvent({ event: 'E', auth: { member_id: 'm1', application_token: 'x'.repeat(513), refresh_token: ['a'] } }),
    ).toMatchObject({ applicationToken: '', refreshToken: null });
  });
});

describe('POST /api/session', () => {
  it('reads fresh portal auth', () => {
    expect(
      parseSessionRenewal({ memberId: 'm1', accessToken: TOKEN, refreshToken: TOKEN, expiresIn: 3600, lang: 'ru' }),
    ).toEqual({
      memberId: 'm1',
      accessToken: TOKEN,
      refreshToken: TOKEN,
      expiresInSeconds: 3600,
      lang: 'ru',
    });
  });

  it('refuses a body without well-formed memberId and accessToken as NOT_AUTHENTICATED', () => {
    expect(codeOf(() => parseSessionRenewal({ memberId: '../m1', accessToken: TOKEN }))).toBe('NOT_AUTHENTICATED');
    expect(codeOf(() => parseSessionRenewal({ memberId: 'm1', accessToken: 'short' }))).toBe('NOT_AUTHENTICATED');
    expect(codeOf(() => parseSessionRenewal(undefined))).toBe('NOT_AUTHENTICATED');
  });

  it('drops a malformed refresh token, expiry or language rather than trusting it', () => {
    expect(
      parseSessionRenewal({
        memberId: 'm1',
        accessToken: TOKEN,
        refreshToken: 'not a token',
        expiresIn: '3600',
        lang: 'xx',
      }),
    ).toMatchObject({
      refreshToken: null,
      expiresInSeconds: null,
      lang: null,
    });
  });
});

describe('GET /api/chats', () => {
  it('trims the search and cuts it to 100 characters; the cursor defaults to 0', () => {
    expect(parseChatListQuery({ search: `  ${'s'.repeat(150)}  ` })).toEqual({ search: 's'.repeat(100), cursor: 0 });
    expect(parseChatListQuery({ search: ['a', 'b'], cursor: '50' })).toEqual({ search: '', cursor: 50 });
  });

  it('refuses a cursor that is not a whole number of at most 6 digits as BAD_REQUEST', () => {
    for (const cursor of ['-1', '1.5', 'abc', '1234567', ['0', '50']])
      expect(codeOf(() => parseChatListQuery({ cursor }))).toBe('BAD_REQUEST');
  });
});

describe('POST /api/chats/:chatId/avatar', () => {
  it('takes a positive chat id of at most 10 digits', () => {
    expect(parseChatId('12')).toBe(12);
    for (const id of ['0', '012', '-1', '1e3', '12abc', '12345678901', undefined])
      expect(codeOf(() => parseChatId(id))).toBe('INVALID_CHAT_ID');
  });

  it('reads the crop as whole pixels, and no crop from an empty field', () => {
    expect(parseUploadFields({ crop: '{"x":10,"y":0,"size":300}', upload: 'cropped' })).toEqual({
      crop: { x: 10, y: 0, size: 300 },
      upload: 'cropped',
    });
    expect(parseUploadFields({ crop: '' })).toEqual({ crop: undefined, upload: undefined });
    expect(parseUploadFields({ upload: 'something else' }).upload).toBeUndefined();
  });

  it('refuses a crop that is not JSON, too long, fractional, negative or empty as INVALID_CROP', () => {
    for (const crop of [
      '{x:1',
      `{"x":1,"y":1,"size":1,"pad":"${'x'.repeat(200)}"}`,
      '{"x":1.5,"y":0,"size":10}',
      '{"x":-1,"y":0,"size":10}',
      '{"x":0,"y":0,"size":0}',
      '[1,2,3]',
      ['a'],
    ]) {
      expect(codeOf(() => parseUploadFields({ crop }))).toBe('INVALID_CROP');
    }
  });
});

describe('GET /api/admin/audit', () => {
  it('reads the filter and the page, page 1 by default; another result means all', () => {
    expect(parseAuditQuery({})).toEqual({ result: undefined, page: 1, tz: 'UTC' });
    expect(parseAuditQuery({ result: 'error', page: '3' })).toEqual({ result: 'error', page: 3, tz: 'UTC' });
    expect(parseAuditQuery({ result: 'maybe' }).result).toBeUndefined();
  });

  it('reads the time zone for the CSV: an IANA name the runtime knows, UTC without one', () => {
    expect(parseAuditQuery({ tz: 'Europe/Moscow' }).tz).toBe('Europe/Moscow');
    expect(parseAuditQuery({ tz: 'America/Argentina/Buenos_Aires' }).tz).toBe('America/Argentina/Buenos_Aires');
    for (const tz of ['Mars/Olympus', 'Europe/Moscow<script>', '', 'x'.repeat(100), ['UTC', 'UTC']])
      expect(() => parseAuditQuery({ tz })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  it('refuses page 0 or a page that is not a short whole number as BAD_REQUEST', () => {
    for (const page of ['0', '-2', 'two', '1234567'])
      expect(codeOf(() => parseAuditQuery({ page }))).toBe('BAD_REQUEST');
  });
});

describe('the sign-in outside the portal', () => {
  it('takes the portal’s domain as a person pastes it', () => {
    expect(parseOAuthStart({ domain: ' https://company.bitrix24.com/online/ ' })).toEqual({
      domain: 'company.bitrix24.com',
    });
    expect(parseOAuthStart({ domain: 'portal.example.com:8443' })).toEqual({ domain: 'portal.example.com:8443' });
  });

  it('refuses no domain, or one with characters no host name has, as INVALID_DOMAIN', () => {
    for (const domain of [undefined, '', 'evil.com@x', 'a b.com', ['a.com', 'b.com']])
      expect(codeOf(() => parseOAuthStart({ domain }))).toBe('INVALID_DOMAIN');
  });

  it('refuses a malformed authorization code as NOT_AUTHENTICATED', () => {
    expect(parseAuthorizationCode('code-1234.x_y')).toBe('code-1234.x_y');
    for (const code of [undefined, 'abc', 'code with space', 'x'.repeat(513)])
      expect(codeOf(() => parseAuthorizationCode(code))).toBe('NOT_AUTHENTICATED');
  });
});
