import { createOperatingResets, readOperatingReset } from '../../server/bitrix24/operating-limit';

// limits.md, "Resource Intensity Limits": after OPERATION_TIME_LIMIT, "For the first retry, refer
// to `operating_reset_at` from the last successful response". The last one seen per portal and
// method becomes the 429's Retry-After, from 1 to 600 seconds; none seen, or one already
// passed, leaves the fixed 60 s to error-mapping.ts.

const T0 = 1_778_747_192_000; // limits.md's example answer: 2026-05-14T10:26:32+02:00

describe('the wait after OPERATION_TIME_LIMIT', () => {
  let clock = T0;
  const now = () => clock;
  beforeEach(() => {
    clock = T0;
  });

  it('reads operating_reset_at and finish from a time block, and nothing from anything else', () => {
    // The block limits.md shows.
    expect(
      readOperatingReset({
        start: 1778747192.910734,
        finish: 1778747193.530359,
        duration: 0.6196250915527344,
        processing: 0.032338857650756836,
        date_start: '2026-05-14T10:26:32+02:00',
        date_finish: '2026-05-14T10:26:33+02:00',
        operating_reset_at: 1778747792,
        operating: 3.3076241016387939,
      }),
    ).toEqual({ resetAt: 1778747792, finish: 1778747193.530359 });
    expect(readOperatingReset({ operating_reset_at: 1778747792 })).toEqual({ resetAt: 1778747792, finish: null });
    for (const block of [undefined, null, 'x', {}, { operating_reset_at: '1778747792' }, { operating_reset_at: NaN }])
      expect(readOperatingReset(block)).toBeNull();
  });

  it('is the time left until the last reset seen for that portal and method', () => {
    const resets = createOperatingResets({ now });
    expect(resets.retryAfterSeconds('p1', 'imbot.chat.updateAvatar')).toBeNull();
    resets.seen('p1', 'imbot.chat.updateAvatar', { resetAt: T0 / 1000 + 300, finish: T0 / 1000 });
    expect(resets.retryAfterSeconds('p1', 'imbot.chat.updateAvatar')).toBe(300);
    // Method names are case-insensitive; another method or portal has its own.
    expect(resets.retryAfterSeconds('p1', 'IMBOT.CHAT.UPDATEAVATAR')).toBe(300);
    expect(resets.retryAfterSeconds('p1', 'im.dialog.get')).toBeNull();
    expect(resets.retryAfterSeconds('p2', 'imbot.chat.updateAvatar')).toBeNull();
    clock += 120_500;
    expect(resets.retryAfterSeconds('p1', 'imbot.chat.updateAvatar')).toBe(180);
    // The last answer counts: a later basket's reset replaces it.
    resets.seen('p1', 'imbot.chat.updateAvatar', { resetAt: T0 / 1000 + 400, finish: clock / 1000 });
    expect(resets.retryAfterSeconds('p1', 'imbot.chat.updateAvatar')).toBe(280);
  });

  it('is at least 1 second, at most 600, and none once the reset has passed', () => {
    const resets = createOperatingResets({ now });
    resets.seen('p', 'm', { resetAt: T0 / 1000 + 0.2, finish: T0 / 1000 });
    expect(resets.retryAfterSeconds('p', 'm')).toBe(1);
    resets.seen('p', 'm', { resetAt: T0 / 1000 + 3600, finish: T0 / 1000 });
    expect(resets.retryAfterSeconds('p', 'm')).toBe(600);
    resets.seen('p', 'm', { resetAt: T0 / 1000 + 30, finish: T0 / 1000 });
    clock += 30_000;
    expect(resets.retryAfterSeconds('p', 'm')).toBeNull();
  });

  it('measures from the answer’s own finish, so a portal clock that is off does not matter', () => {
    const resets = createOperatingResets({ now });
    // The portal's clock runs an hour ahead of ours.
    const portalNow = T0 / 1000 + 3600;
    resets.seen('p', 'm', { resetAt: portalNow + 90, finish: portalNow });
    expect(resets.retryAfterSeconds('p', 'm')).toBe(90);
    // Without finish, operating_reset_at is taken as Unix time.
    resets.seen('p', 'n', { resetAt: T0 / 1000 + 90, finish: null });
    expect(resets.retryAfterSeconds('p', 'n')).toBe(90);
  });

  it('keeps a bounded number of portal-method pairs, forgetting the longest unseen', () => {
    const resets = createOperatingResets({ now, maxEntries: 2 });
    const reset = { resetAt: T0 / 1000 + 100, finish: T0 / 1000 };
    resets.seen('a', 'm', reset);
    resets.seen('b', 'm', reset);
    resets.seen('a', 'm', reset);
    resets.seen('c', 'm', reset);
    expect(resets.retryAfterSeconds('a', 'm')).toBe(100);
    expect(resets.retryAfterSeconds('b', 'm')).toBeNull();
    expect(resets.retryAfterSeconds('c', 'm')).toBe(100);
  });
});
