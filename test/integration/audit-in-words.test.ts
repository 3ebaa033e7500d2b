import * as XLSX from 'xlsx';
import { ADMIN_USER_ID, BOARD_CHAT_ID, MARKETING_CHAT_ID, PLAIN_USER_ID } from '../../emulator/index';
import { serverStrings } from '../../server/lang';
import * as img from '../support/images';
import { startStack, type Stack } from '../support/stack';

// The audit log names every chat by its title, also the chats the reading administrator is not
// in (Bitrix24 asked as the app's bot, in one batch), says what happened in sentences addressed
// to the administrator, and exports a CSV for a spreadsheet in their language and clock.

/** A second administrator of the portal, in none of its chats. */
const DANA = 4;

type Entry = { chatId: number; chatTitle: string | null; chatName: string; reason: string | null; noteWords: string[] };

describe('the audit log in words', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    portal().state.users.set(DANA, { id: DANA, name: 'Dana', lastName: 'Admin', admin: true, email: 'd@example.com' });
    expect((await stack.install()).status).toBe(200);
    const boris = (await stack.open(0, PLAIN_USER_ID)).token;
    // Boris changes Marketing (the bot joins it first) and tries the Board, which he is not in.
    for (const chatId of [MARKETING_CHAT_ID, BOARD_CHAT_ID])
      await stack.http
        .post(`/api/chats/${chatId}/avatar`)
        .set('Authorization', `Bearer ${boris}`)
        .attach('avatar', await img.photo(100, 100), 'a.jpg');
  });
  afterAll(async () => stack?.close());
  const portal = () => stack.emulator.portals[0]!;
  const get = async (path: string, user: number, lang: string) =>
    stack.http.get(path).set('Authorization', `Bearer ${(await stack.open(0, user, { lang })).token}`);
  const calls = (method: string) =>
    portal()
      .calls()
      .filter((call) => call.method === method);

  it('names a chat the administrator is not in by its title, asked as the bot in one batch, and says what happened', async () => {
    const res = await get('/api/admin/audit', DANA, 'ru');
    const entries: Entry[] = res.body.entries;
    const marketing = entries.find((entry) => entry.chatId === MARKETING_CHAT_ID)!;
    expect(marketing).toMatchObject({ chatTitle: 'Marketing', reason: null });
    expect(marketing.noteWords).toContain(serverStrings('ru').audit.notes.bot_joined);
    const asked = calls('imbot.v2.Chat.get');
    expect(asked.map((call) => call.params.dialogId).sort()).toEqual([
      `chat${MARKETING_CHAT_ID}`,
      `chat${BOARD_CHAT_ID}`,
    ]);
    expect(asked.every((call) => call.userId === DANA)).toBe(true);
    // The bot is not in the Board, nor is Dana: no title, and words instead of a bare number.
    const board = entries.find((entry) => entry.chatId === BOARD_CHAT_ID)!;
    expect(board).toMatchObject({
      chatTitle: null,
      chatName: serverStrings('ru').audit.chatUnknown.replace('{id}', String(BOARD_CHAT_ID)),
      reason: serverStrings('ru').audit.reasons.NOT_CHAT_MEMBER,
    });
    // Then as Dana, for what the bot could not see; and kept for the next look.
    expect(
      calls('im.dialog.get')
        .filter((call) => call.userId === DANA)
        .map((call) => call.params.DIALOG_ID),
    ).toEqual([`chat${BOARD_CHAT_ID}`]);
    await get('/api/admin/audit', DANA, 'ru');
    expect(calls('imbot.v2.Chat.get')).toHaveLength(2);
    expect(calls('im.dialog.get').filter((call) => call.userId === DANA)).toHaveLength(1);
  });

  it('names the chat by the reader’s own view where the bot is not in it', async () => {
    const res = await get('/api/admin/audit', ADMIN_USER_ID, 'en');
    const board = (res.body.entries as Entry[]).find((entry) => entry.chatId === BOARD_CHAT_ID)!;
    expect(board.chatTitle).toBe('Board');
  });

  it('exports a CSV a German spreadsheet opens as one column per field, in Berlin time, with the titles', async () => {
    const res = await get('/api/admin/audit.csv?tz=Europe%2FBerlin', DANA, 'de').then((r) => r);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const body: Buffer = Buffer.isBuffer(res.body) ? res.body : Buffer.from(res.text, 'utf8');
    expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const book = XLSX.read(body, { type: 'buffer', FS: ';', raw: true });
    const sheet = XLSX.utils.sheet_to_json<string[]>(book.Sheets[book.SheetNames[0]!]!, {
      header: 1,
      raw: false,
      defval: '',
    });
    const words = serverStrings('de').audit;
    expect(sheet[0]!.slice(0, 5)).toEqual([
      words.csv.time,
      words.csv.offset,
      words.csv.user,
      words.csv.userId,
      words.csv.chat,
    ]);
    for (const row of sheet) expect(row).toHaveLength(13);
    const marketing = sheet.find((row) => row[5] === String(MARKETING_CHAT_ID))!;
    expect(marketing[4]).toBe('Marketing');
    expect(marketing[1]).toMatch(/^UTC\+0[12]:00$/);
    expect(marketing[6]).toBe(words.resultOk);
  });

  it('refuses a time zone it does not know', async () => {
    const res = await get('/api/admin/audit.csv?tz=Mars%2FOlympus', DANA, 'en');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
  });
});
