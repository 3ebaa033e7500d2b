import { isKnownCode, messageOf } from '../../errors';
import type { Lang } from '../../lang';
import type { AuditEntry } from '../../store/store';

/**
 * One entry of the audit log for the admin screen: a failure carries, beside its code, the
 * sentence its user was shown, in the reading administrator's language. A Bitrix24 code the
 * catalogue does not know reads as Bitrix24's refusal.
 */
export function presentAuditEntry(entry: AuditEntry, lang: Lang) {
  const code = entry.errorCode;
  return {
    at: entry.at.toISOString(),
    userId: entry.userId,
    userName: entry.userName,
    chatId: entry.chatId,
    result: entry.result,
    errorCode: code,
    errorMessage: code ? messageOf(isKnownCode(code) ? code : 'BITRIX24_ERROR', lang) : null,
    bytes: entry.bytes,
    durationMs: entry.durationMs,
    notes: entry.notes ?? [],
    // The change of many chats it belongs to: the screen groups its entries under it.
    jobId: entry.jobId ?? null,
  };
}

const HEADER = [
  'time',
  'user_id',
  'user_name',
  'chat_id',
  'result',
  'error_code',
  'bytes',
  'duration_ms',
  'notes',
  'job_id',
];

/**
 * RFC 4180 CSV with every field quoted. A spreadsheet runs a cell that starts with =, +, -, @,
 * a tab or a carriage return as a formula; Excel in a Russian locale splits on `;`, not `,`, so
 * a user named `Clara;=2+3;` would start a cell mid-field; a reader that splits lines before
 * quotes starts one after a line break (`Ann\n=1+1`), and one that takes a quote mid-field as
 * the start of a quoted cell after `;"=1+1`. Such a start is neutralised with an apostrophe at
 * the field's start and after every `,`, `;`, line break and quote inside it, whatever quotes or
 * spaces come between, whichever way the reader splits.
 */
export function auditCsv(entries: AuditEntry[]): string {
  const rows = entries.map((e) => [
    e.at.toISOString(),
    e.userId,
    e.userName,
    e.chatId,
    e.result,
    e.errorCode,
    e.bytes,
    e.durationMs,
    (e.notes ?? []).join(' '),
    e.jobId ?? null,
  ]);
  return `\ufeff${[HEADER, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

const FORMULA_START = /([,;\r\n"]|^)(?=[\s"]*[=+\-@\t\r])/g;

function csvField(value: string | number | null): string {
  if (value === null) return '""';
  const text = String(value).replace(FORMULA_START, "$1'");
  return `"${text.replace(/"/g, '""')}"`;
}
