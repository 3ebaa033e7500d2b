import { createAppTokens } from '../../server/http/app-token';

describe('app token', () => {
  const claims = {
    memberId: 'member-a',
    userId: 2,
    isAdmin: false,
    lang: 'ru' as const,
    name: 'Boris',
    installedAt: 1_700_000_000_000,
  };

  it('carries portal, user, role and language, signed', () => {
    const tokens = createAppTokens({ secret: 's'.repeat(40), ttlSeconds: 60 });
    const { token } = tokens.issue(claims);
    expect(tokens.verify(token)).toMatchObject(claims);
  });

  it('carries any language the app speaks, and no other', () => {
    const tokens = createAppTokens({ secret: 's'.repeat(40), ttlSeconds: 60 });
    for (const lang of ['de', 'la', 'br', 'ua', 'tr'] as const)
      expect(tokens.verify(tokens.issue({ ...claims, lang }).token)?.lang).toBe(lang);
    // A language outside the list, signed with the right key, is no token of ours.
    const unknown = tokens.issue({ ...claims, lang: 'kz' as unknown as 'en' }).token;
    expect(tokens.verify(unknown)).toBeNull();
  });

  it('refuses a token signed with another secret, a changed payload, or an expired one', () => {
    let now = 1_000_000;
    const tokens = createAppTokens({ secret: 's'.repeat(40), ttlSeconds: 60, now: () => now });
    const other = createAppTokens({ secret: 't'.repeat(40), ttlSeconds: 60, now: () => now });
    const { token } = tokens.issue(claims);
    expect(other.verify(token)).toBeNull();
    const [, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ m: 'member-b', u: 2, a: 1, l: 'en', e: now + 60_000 })).toString(
      'base64url',
    );
    expect(tokens.verify(`${forged}.${signature}`)).toBeNull();
    now += 61_000;
    expect(tokens.verify(token)).toBeNull();
    expect(tokens.verify('garbage')).toBeNull();
  });
});
