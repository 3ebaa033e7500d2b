import { isKnownCode } from '../../server/errors';
import { presentAuditEntry, presentAuditJob, reasonOf } from '../../server/http/presenters/audit';
import { LANGS, serverStrings } from '../../server/lang';
import type { BulkJobAuditSummary } from '../../server/store/bulk-jobs';
import type { AuditEntry } from '../../server/store/store';

const entry = (over: Partial<AuditEntry>): AuditEntry => ({
  memberId: 'm1',
  at: new Date('2026-11-25T10:00:00Z'),
  userId: 2,
  userName: 'Boris User',
  chatId: 14,
  result: 'error',
  errorCode: null,
  bytes: null,
  durationMs: 12,
  notes: [],
  ...over,
});

describe('presentAuditEntry', () => {
  it("puts the sentence of the entry's code, in the reader's language, beside the code", () => {
    expect(presentAuditEntry(entry({ errorCode: 'CHAT_OWNER_ONLY' }), 'it')).toMatchObject({
      errorCode: 'CHAT_OWNER_ONLY',
      errorMessage: 'Solo il proprietario di questa chat può cambiarne l’avatar.',
    });
  });

  it("reads a code the catalogue does not know (a Bitrix24 code of a later version) as Bitrix24's refusal", () => {
    expect(presentAuditEntry(entry({ errorCode: 'SOMETHING_NEW' }), 'pl')).toMatchObject({
      errorCode: 'SOMETHING_NEW',
      errorMessage: 'Bitrix24 odrzucił żądanie.',
    });
  });

  it('gives a success no sentence', () => {
    expect(presentAuditEntry(entry({ result: 'ok', errorCode: null }), 'en')).toMatchObject({
      errorCode: null,
      errorMessage: null,
    });
  });

  it('says to the administrator what stopped a change, in their language', () => {
    const shown = presentAuditEntry(entry({ errorCode: 'NOT_CHAT_MEMBER' }), 'ru');
    expect(shown.outcome).toBe(serverStrings('ru').audit.resultError);
    expect(shown.reason).toBe('Не изменён: пользователь не участник этого чата.');
    // The user's own sentence is kept beside it, and is another: it speaks to the user.
    expect(shown.errorMessage).not.toBe(shown.reason);
  });

  it('quotes what the user read where the app has no sentence of its own for the administrator', () => {
    const en = serverStrings('en').audit;
    expect(reasonOf('UNSUPPORTED_IMAGE', 'en')).toMatch(
      /^Not changed: the image could not be used\. The user was told: “This file/,
    );
    expect(reasonOf('OUTPUT_SIDE_CHANGED', 'en')).toMatch(/^Not changed\. The user was told: “An administrator/);
    expect(reasonOf('SOMETHING_NEW', 'en')).toBe(en.reasons.BITRIX24_ERROR);
  });

  it('never tells the administrator to ask their administrator, for any code, in any language', () => {
    const codes = Object.keys(serverStrings('en').errors).filter(isKnownCode);
    for (const lang of LANGS)
      for (const code of codes) {
        const reason = reasonOf(code, lang);
        const quoted = reason.includes('“') || reason.includes('«') || reason.includes('„');
        if (!quoted) expect([lang, code, reason]).not.toEqual([lang, code, expect.stringMatching(/administrator/i)]);
      }
  });

  it('names the chat by its title, and one the app cannot see in words', () => {
    expect(presentAuditEntry(entry({}), 'en', new Map([[14, 'Sales team']]))).toMatchObject({
      chatTitle: 'Sales team',
      chatName: 'Sales team',
    });
    expect(presentAuditEntry(entry({}), 'de')).toMatchObject({
      chatTitle: null,
      chatName: 'ein Chat, den die App nicht sieht (Nr. 14)',
    });
  });

  it('says in words which way a change was made and how the earlier tries of the same press ended', () => {
    const shown = presentAuditEntry(
      entry({
        result: 'ok',
        notes: [
          'upload_cropped',
          'via_bot_v2',
          'earlier_try:QUERY_LIMIT_EXCEEDED',
          'earlier_try:QUERY_LIMIT_EXCEEDED',
          'earlier_try:BITRIX24_SERVER_ERROR',
        ],
      }),
      'en',
    );
    expect(shown.reason).toBeNull();
    expect(shown.noteWords).toEqual([
      'Made by the app’s bot, with Bitrix24’s current method.',
      'Tried before: Bitrix24 was busy (2), Bitrix24 had an error.',
    ]);
  });
});

describe('presentAuditJob', () => {
  const job = (over: Partial<BulkJobAuditSummary> = {}): BulkJobAuditSummary => ({
    id: 'j1',
    template: 'picture',
    undoes: null,
    userId: 2,
    userName: 'Boris User',
    from: new Date('2026-11-25T10:00:00Z'),
    to: new Date('2026-11-25T10:01:00Z'),
    changed: 110,
    refused: 10,
    ...over,
  });

  it('says what the job was and how its chats ended, in the reader’s language', () => {
    expect(presentAuditJob(job(), 'en')).toEqual({
      id: 'j1',
      kind: 'picture',
      what: 'Apply to many chats: one picture for all',
      userId: 2,
      userName: 'Boris User',
      from: '2026-11-25T10:00:00.000Z',
      to: '2026-11-25T10:01:00.000Z',
      changed: 110,
      refused: 10,
      counts: '110 changed, 10 not changed',
    });
    expect(presentAuditJob(job({ template: 'per_chat' }), 'ru').what).toBe(serverStrings('ru').audit.jobs.per_chat);
  });

  it('names an Undo all as such, and a job pruned since by what is left of it', () => {
    expect(presentAuditJob(job({ template: 'per_chat', undoes: 'j0' }), 'de')).toMatchObject({
      kind: 'undo',
      what: serverStrings('de').audit.jobs.undo,
    });
    expect(presentAuditJob(job({ template: null }), 'en')).toMatchObject({
      kind: 'unknown',
      what: 'Apply to many chats',
    });
  });

  it.each(LANGS)('has every kind and the counts in %s', (lang) => {
    const words = serverStrings(lang).audit;
    for (const kind of ['picture', 'per_chat', 'undo', 'unknown'] as const) expect(words.jobs[kind]).toBeTruthy();
    expect(words.jobCounts).toContain('{changed}');
    expect(words.jobCounts).toContain('{refused}');
  });
});
