import { isKnownCode, messageOf, type ErrorCode } from '../../errors';
import { serverStrings, type Lang } from '../../lang';
import { EARLIER_TRY } from '../../store/audit-entry';
import type { BulkJobAuditSummary } from '../../store/bulk-jobs';
import type { AuditEntry } from '../../store/store';

/** The titles of the entries' chats as Bitrix24 gave them to the reader; a chat it gave none for is absent. */
export type ChatTitleMap = ReadonlyMap<number, string>;

/**
 * One entry of the audit log for the admin screen, in sentences addressed to the administrator:
 * the chat by its title, the outcome, what happened (a refusal's sentence says what stopped the
 * change; one the app has no sentence for quotes what the user read), and the notes in words
 * (which way the change was made, the earlier tries of the same press of Apply). The codes stay
 * beside them for support; `errorMessage` is the sentence the user was shown.
 */
export function presentAuditEntry(entry: AuditEntry, lang: Lang, titles: ChatTitleMap = new Map()) {
  const code = entry.errorCode;
  const words = serverStrings(lang).audit;
  const title = titles.get(entry.chatId) ?? null;
  return {
    at: entry.at.toISOString(),
    userId: entry.userId,
    userName: entry.userName,
    chatId: entry.chatId,
    chatTitle: title,
    chatName: title ?? words.chatUnknown.replace('{id}', String(entry.chatId)),
    result: entry.result,
    outcome: entry.result === 'ok' ? words.resultOk : words.resultError,
    reason: entry.result === 'ok' ? null : reasonOf(code, lang),
    errorCode: code,
    errorMessage: code ? messageOf(isKnownCode(code) ? code : 'BITRIX24_ERROR', lang) : null,
    bytes: entry.bytes,
    durationMs: entry.durationMs,
    notes: entry.notes ?? [],
    noteWords: notesInWords(entry.notes ?? [], lang),
    // The change of many chats it belongs to: the screen groups its entries under it.
    jobId: entry.jobId ?? null,
  };
}

/**
 * A change of many chats as the admin screen shows it, one row over its entries: what it was
 * (one picture for all, each chat's initials, or Undo all of another), who ran it, when, and how
 * many chats it changed and did not, counted over all its entries.
 */
export function presentAuditJob(job: BulkJobAuditSummary, lang: Lang) {
  const words = serverStrings(lang).audit;
  const kind = job.undoes ? 'undo' : (job.template ?? 'unknown');
  return {
    id: job.id,
    kind,
    what: words.jobs[kind],
    userId: job.userId,
    userName: job.userName,
    from: job.from.toISOString(),
    to: job.to.toISOString(),
    changed: job.changed,
    refused: job.refused,
    counts: words.jobCounts.replace('{changed}', String(job.changed)).replace('{refused}', String(job.refused)),
  };
}

/** Refusals about the image the user sent: the sentence they read says what was wrong with it. */
const IMAGE_CODES = new Set<string>([
  'UNSUPPORTED_IMAGE',
  'IMAGE_TOO_LARGE',
  'IMAGE_TOO_LARGE_FOR_FORMAT',
  'IMAGE_TOO_COSTLY',
  'IMAGE_TOO_COMPLEX',
  'IMAGE_TOO_SLOW',
  'FILE_TOO_LARGE',
  'BODY_TOO_LARGE',
  'INVALID_CROP',
  'NO_FILE',
]);

/** What stopped a change, said to the administrator. */
export function reasonOf(code: string | null, lang: Lang): string {
  const strings = serverStrings(lang);
  const reasons: Partial<Record<string, string>> = strings.audit.reasons;
  const own = code === 'ACCESS_ERROR' ? reasons.CHAT_AVATAR_LOCKED : code ? reasons[code] : undefined;
  if (own) return own.replace('{status}', strings.statusTab);
  const known: ErrorCode = code && isKnownCode(code) ? code : code ? 'BITRIX24_ERROR' : 'INTERNAL';
  if (known === 'BITRIX24_ERROR' || known === 'INTERNAL') return reasons[known]!;
  const template = IMAGE_CODES.has(known) ? strings.audit.reasonImage : strings.audit.reasonOther;
  return template.replace('{message}', messageOf(known, lang));
}

/** How an earlier try ended, in a few words. */
function tryWords(code: string, lang: Lang): string {
  const words = serverStrings(lang).audit;
  if (BUSY.has(code)) return words.tryBusy;
  if (code === 'BITRIX24_UNAVAILABLE') return words.tryNoAnswer;
  if (code === 'BITRIX24_SERVER_ERROR' || code === 'INTERNAL') return words.tryError;
  return words.tryOther;
}

const BUSY = new Set([
  'QUERY_LIMIT_EXCEEDED',
  'OPERATION_TIME_LIMIT',
  'OVERLOAD_LIMIT',
  'SERVER_BUSY',
  'CHANGE_IN_PROGRESS',
  'RATE_LIMITED',
]);

/** The notes an administrator is told about, in words; the earlier tries as one sentence with their counts. */
export function notesInWords(notes: string[], lang: Lang): string[] {
  const words = serverStrings(lang).audit;
  const named: Partial<Record<string, string>> = words.notes;
  const said = notes.flatMap((note) => named[note] ?? []);
  const tries = new Map<string, number>();
  for (const note of notes)
    if (note.startsWith(EARLIER_TRY)) {
      const how = tryWords(note.slice(EARLIER_TRY.length), lang);
      tries.set(how, (tries.get(how) ?? 0) + 1);
    }
  if (tries.size)
    said.push(
      words.triesBefore.replace(
        '{tries}',
        [...tries].map(([how, count]) => (count > 1 ? `${how} (${count})` : how)).join(', '),
      ),
    );
  return said;
}

/**
 * The CSV's separator by the reader's language: Excel splits a CSV on the list separator of
 * Windows' regional settings, which is `;` where the decimal separator is a comma. English: `,`;
 * Russian, German, Ukrainian, Brazilian Portuguese, French, Italian, Polish, Turkish: `;`; Latin
 * American Spanish (`la`): `;` too, as in most of its countries (Argentina, Colombia, Chile,
 * Peru, Venezuela…; Mexico writes a decimal point, and its Excel reads `;` as one column too, as
 * much as `,` in a German one: no separator opens in both).
 */
export const CSV_SEPARATOR: Record<Lang, ',' | ';'> = {
  en: ',',
  ru: ';',
  de: ';',
  la: ';',
  br: ';',
  fr: ';',
  it: ';',
  pl: ';',
  ua: ';',
  tr: ';',
};

/**
 * A time as the administrator's clock shows it, `2026-11-25 13:00:00`, and its offset from UTC,
 * `UTC+03:00` (a bare `+03:00` would start a cell as a formula does, and be neutralised).
 */
export function localTime(at: Date, timeZone: string): { time: string; offset: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  );
  // longOffset is `GMT+03:00`, or `GMT` itself at UTC.
  const offset = `UTC${(parts.timeZoneName ?? 'GMT').replace(/^GMT/, '') || '+00:00'}`;
  return { time: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`, offset };
}

/**
 * RFC 4180 CSV with every field quoted, for a spreadsheet in the reader's language: a UTF-8 BOM
 * (without it Excel reads UTF-8 as the system's code page, and Cyrillic as mojibake), the
 * separator of their locale (CSV_SEPARATOR), headers and outcomes in their words, each time in
 * their clock with its offset, each chat by title. A spreadsheet runs a cell that starts with =,
 * +, -, @, a tab or a carriage return as a formula; Excel in a Russian locale splits on `;`, not
 * `,`, so a user named `Clara;=2+3;` would start a cell mid-field; a reader that splits lines
 * before quotes starts one after a line break (`Ann\n=1+1`), and one that takes a quote
 * mid-field as the start of a quoted cell after `;"=1+1`. Such a start is neutralised with an
 * apostrophe at the field's start and after every `,`, `;`, line break and quote inside it,
 * whatever quotes or spaces come between, whichever way the reader splits. Chat titles and
 * names come from the portal, and are treated so like every other field.
 */
export function auditCsv(
  entries: AuditEntry[],
  opts: { lang?: Lang; timeZone?: string; titles?: ChatTitleMap } = {},
): string {
  const lang = opts.lang ?? 'en';
  const timeZone = opts.timeZone ?? 'UTC';
  const words = serverStrings(lang).audit;
  const head = words.csv;
  const header = [
    head.time,
    head.offset,
    head.user,
    head.userId,
    head.chat,
    head.chatId,
    head.result,
    head.reason,
    head.notes,
    head.bytes,
    head.durationMs,
    head.code,
    head.job,
  ];
  const rows = entries.map((entry) => {
    const shown = presentAuditEntry(entry, lang, opts.titles);
    const { time, offset } = localTime(entry.at, timeZone);
    return [
      time,
      offset,
      entry.userName,
      entry.userId,
      shown.chatName,
      entry.chatId,
      shown.outcome,
      shown.reason,
      shown.noteWords.join(' '),
      entry.bytes,
      Math.round(entry.durationMs),
      entry.errorCode,
      entry.jobId ?? null,
    ];
  });
  const separator = CSV_SEPARATOR[lang];
  return `\ufeff${[header, ...rows].map((row) => row.map(csvField).join(separator)).join('\r\n')}\r\n`;
}

const FORMULA_START = /([,;\r\n"]|^)(?=[\s"]*[=+\-@\t\r])/g;

function csvField(value: string | number | null): string {
  if (value === null) return '""';
  const text = String(value).replace(FORMULA_START, "$1'");
  return `"${text.replace(/"/g, '""')}"`;
}
