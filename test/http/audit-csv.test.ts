import { auditCsv, CSV_SEPARATOR } from '../../server/http/presenters/audit';
import { LANGS, serverStrings } from '../../server/lang';
import type { AuditEntry } from '../../server/store/store';

const entry = (userName: string | null, errorCode: string | null = null): AuditEntry => ({
  memberId: 'm1',
  userId: 7,
  userName,
  chatId: 42,
  result: errorCode ? 'error' : 'ok',
  errorCode,
  bytes: errorCode ? null : 1024,
  durationMs: 12,
  at: new Date('2026-11-25T10:00:00Z'),
});

/** The cells a spreadsheet sees when it splits on `separator`, honouring quotes as Excel does. */
function cells(line: string, separator: ',' | ';'): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === separator) {
      out.push(cell);
      cell = '';
    } else cell += c;
  }
  return [...out, cell];
}

const dataLine = (csv: string) => csv.replace(/^\ufeff/, '').split('\r\n')[1]!;

describe('audit CSV', () => {
  it('quotes every field, the header and empty ones included', () => {
    const csv = auditCsv([entry('Ann')]);
    expect(csv.startsWith('\ufeff"Time","UTC offset","User","User ID","Chat"')).toBe(true);
    expect(dataLine(csv)).toBe(
      '"2026-11-25 10:00:00","UTC+00:00","Ann","7","a chat the app cannot see (#42)","42","Changed","","","1024","12","",""',
    );
  });

  it('says what else happened in words: which way the change was made, a bot that joined; the upload path stays out', () => {
    const csv = auditCsv([{ ...entry('Ann'), notes: ['upload_cropped', 'via_bot_v2', 'bot_joined'] }]);
    expect(cells(csv.replace(/^\ufeff/, '').split('\r\n')[0]!, ',')[8]).toBe('Notes');
    expect(cells(dataLine(csv), ',')[8]).toBe(
      'Made by the app’s bot, with Bitrix24’s current method. The app’s bot was added to the chat first.',
    );
  });

  it('names the change of many chats an entry belongs to', () => {
    const csv = auditCsv([
      { ...entry('Ann'), notes: ['bulk', 'via_bot_v2'], jobId: '5c0f7a2e-0000-4000-8000-000000000001' },
    ]);
    expect(dataLine(csv).endsWith(',"5c0f7a2e-0000-4000-8000-000000000001"')).toBe(true);
    expect(cells(dataLine(csv), ',')[8]).toMatch(/^Part of a change of many chats at once\./);
  });

  it('writes each time in the reader’s clock, with its offset', () => {
    const row = cells(dataLine(auditCsv([entry('Ann')], { timeZone: 'Asia/Kolkata' })), ',');
    expect(row.slice(0, 2)).toEqual(['2026-11-25 15:30:00', 'UTC+05:30']);
    const brasilia = cells(dataLine(auditCsv([entry('Ann')], { lang: 'br', timeZone: 'America/Sao_Paulo' })), ';');
    expect(brasilia.slice(0, 2)).toEqual(['2026-11-25 07:00:00', 'UTC-03:00']);
  });

  it.each(LANGS)('writes %s headers, outcomes and the separator of that language', (lang) => {
    const csv = auditCsv([entry('Ann', 'QUERY_LIMIT_EXCEEDED')], { lang, titles: new Map([[42, 'Marketing']]) });
    const separator = CSV_SEPARATOR[lang];
    expect(separator).toBe(lang === 'en' ? ',' : ';');
    const [header, row] = csv.replace(/^\ufeff/, '').split('\r\n');
    const words = serverStrings(lang).audit;
    expect(cells(header!, separator)).toEqual(
      Object.values({
        time: words.csv.time,
        offset: words.csv.offset,
        user: words.csv.user,
        userId: words.csv.userId,
        chat: words.csv.chat,
        chatId: words.csv.chatId,
        result: words.csv.result,
        reason: words.csv.reason,
        notes: words.csv.notes,
        bytes: words.csv.bytes,
        durationMs: words.csv.durationMs,
        code: words.csv.code,
        job: words.csv.job,
      }),
    );
    expect(cells(row!, separator).slice(4, 8)).toEqual([
      'Marketing',
      '42',
      words.resultError,
      words.reasons.QUERY_LIMIT_EXCEEDED,
    ]);
  });

  it.each([',', ';'] as const)('lets no cell start a formula in a spreadsheet that splits on "%s"', (separator) => {
    const hostile = [
      '=2+3',
      'Clara;=2+3;',
      'Bob,=HYPERLINK("http://x")',
      'Eve; @SUM(A1)',
      '-1+2',
      '+cmd',
      'x;\t=1',
      'a,\r=1',
    ];
    for (const name of hostile) {
      for (const cell of cells(dataLine(auditCsv([entry(name)])), separator)) {
        expect([name, cell]).toEqual([name, expect.not.stringMatching(/^\s*[=+\-@\t\r]/)]);
      }
    }
  });

  it('lets no fragment start a formula after a line break or a quote inside a field, however the reader splits', () => {
    // A reader that splits lines before it looks at quotes, or takes a quote mid-field as the
    // start of a quoted cell: every piece between separators, line breaks and quotes is a cell.
    const hostile = [
      'Ann\n=1+1',
      'Ann\r\n@SUM(A1)',
      'Ann\r=HYPERLINK("http://x")',
      'x;"=1+1',
      'x,"=1+1',
      'x;" \t=1+1',
      '"=1+1',
      'a\n"-2+3',
      'a""=1',
    ];
    for (const name of hostile) {
      const body = auditCsv([entry(name, name)])
        .replace(/^\ufeff/, '')
        .split('\r\n')
        .slice(1)
        .join('\r\n');
      for (const piece of body.split(/[,;\r\n"]/))
        expect([name, piece]).toEqual([name, expect.not.stringMatching(/^\s*[=+\-@]/)]);
      // Excel's own reading, quotes honoured, on either separator.
      for (const separator of [',', ';'] as const)
        for (const cell of cells(body.replace(/\r\n$/, ''), separator))
          expect([name, cell]).toEqual([name, expect.not.stringMatching(/^\s*[=+\-@\t\r]/)]);
    }
  });

  it('keeps the name readable: only an apostrophe is added before a formula start', () => {
    expect(cells(dataLine(auditCsv([entry('Clara;=2+3;')])), ',')[2]).toBe("Clara;'=2+3;");
    expect(cells(dataLine(auditCsv([entry('Анна "Ш"')])), ',')[2]).toBe('Анна "Ш"');
  });
});
