import type { AuditEntry } from '../../store/store';

export function presentAuditEntry(entry: AuditEntry) {
  return {
    at: entry.at.toISOString(),
    userId: entry.userId,
    userName: entry.userName,
    chatId: entry.chatId,
    result: entry.result,
    errorCode: entry.errorCode,
    bytes: entry.bytes,
    durationMs: entry.durationMs,
    notes: entry.notes ?? [],
  };
}

const HEADER = ['time', 'user_id', 'user_name', 'chat_id', 'result', 'error_code', 'bytes', 'duration_ms'];

/** RFC 4180 CSV; a leading =, +, - or @ is quoted away so a spreadsheet never runs a cell as a formula. */
export function auditCsv(entries: AuditEntry[]): string {
  const cell = (value: string | number | null): string => {
    if (value === null) return '';
    let text = String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const rows = entries.map((e) => [e.at.toISOString(), e.userId, e.userName, e.chatId, e.result, e.errorCode, e.bytes, e.durationMs].map(cell).join(','));
  return `\ufeff${[HEADER.join(','), ...rows].join('\r\n')}\r\n`;
}
