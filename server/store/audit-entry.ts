/** One attempt to change a chat's avatar, as the audit log keeps it. */
export interface AuditEntry {
  memberId: string;
  userId: number;
  userName: string | null;
  chatId: number;
  result: 'ok' | 'error';
  errorCode: string | null;
  bytes: number | null;
  durationMs: number;
  at: Date;
  /** Short words for what else happened (`bot_joined`, …); never user content. */
  notes?: string[];
}
