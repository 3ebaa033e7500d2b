import { presentAuditEntry } from '../../server/http/presenters/audit';
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
});
