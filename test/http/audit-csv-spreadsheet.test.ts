import * as XLSX from 'xlsx';
import { auditCsv, CSV_SEPARATOR } from '../../server/http/presenters/audit';
import { LANGS, serverStrings, type Lang } from '../../server/lang';
import type { AuditEntry } from '../../server/store/store';

// The audit CSV read back by a spreadsheet library (SheetJS) as Excel reads it in each of the
// ten languages: split on that locale's list separator (`;` where the decimal separator is a
// comma), every row is one cell per field, whatever the portal put in a name or a title.
const entries: AuditEntry[] = [
  {
    memberId: 'm1',
    userId: 7,
    userName: 'Анна; "Ш", =1+1',
    chatId: 42,
    result: 'error',
    errorCode: 'QUERY_LIMIT_EXCEEDED',
    bytes: null,
    durationMs: 1234,
    at: new Date('2026-11-25T10:00:00Z'),
    notes: ['earlier_try:QUERY_LIMIT_EXCEEDED'],
  },
  {
    memberId: 'm1',
    userId: 2,
    userName: 'Boris',
    chatId: 12,
    result: 'ok',
    errorCode: null,
    bytes: 20480,
    durationMs: 80,
    at: new Date('2026-11-25T11:30:00Z'),
    notes: ['via_bot_v2', 'bot_joined'],
  },
];
const titles = new Map([
  [42, 'Маркетинг, отдел; 2'],
  [12, 'Sales\nteam'],
]);

/** The sheet Excel in a locale splitting on `separator` would show, opening the file's bytes as sent. */
function sheetOf(csv: string, separator: ',' | ';'): string[][] {
  const book = XLSX.read(Buffer.from(csv, 'utf8'), { type: 'buffer', FS: separator, raw: true });
  return XLSX.utils.sheet_to_json<string[]>(book.Sheets[book.SheetNames[0]!]!, {
    header: 1,
    raw: false,
    defval: '',
  });
}

describe('the audit CSV in a spreadsheet', () => {
  it.each(LANGS)('opens in %s as one column per field, headers in the language', (lang: Lang) => {
    const separator = CSV_SEPARATOR[lang];
    const csv = auditCsv(entries, { lang, timeZone: 'Europe/Berlin', titles });
    const sheet = sheetOf(csv, separator);
    const words = serverStrings(lang).audit;
    expect(sheet).toHaveLength(3);
    for (const row of sheet) expect(row).toHaveLength(13);
    // The BOM is read as the file's encoding, not as part of the first header.
    expect(sheet[0]![0]).toBe(words.csv.time);
    expect(sheet[0]![7]).toBe(words.csv.reason);
    const [refused, made] = [sheet[1]!, sheet[2]!];
    expect(refused.slice(0, 8)).toEqual([
      '2026-11-25 11:00:00',
      'UTC+01:00',
      // Neutralised where a formula would start, and one cell still.
      'Анна; "Ш",\' =1+1',
      '7',
      'Маркетинг, отдел; 2',
      '42',
      words.resultError,
      words.reasons.QUERY_LIMIT_EXCEEDED,
    ]);
    expect(refused[8]).toBe(words.triesBefore.replace('{tries}', words.tryBusy));
    expect(made.slice(4, 7)).toEqual(['Sales\nteam', '12', words.resultOk]);
    expect(made[9]).toBe('20480');
  });

  it('is not one column per field where the other separator is read: the separator is chosen by locale', () => {
    const ru = auditCsv(entries, { lang: 'ru', titles });
    expect(sheetOf(ru, ',')[0]!.length).not.toBe(13);
    const en = auditCsv(entries, { lang: 'en', titles });
    expect(sheetOf(en, ';')[0]!.length).not.toBe(13);
  });
});
