import { Bitrix24UnavailableError } from '../../server/bitrix24/bitrix24-error';
import { parseGrant } from '../../server/bitrix24/oauth-client';

// The OAuth server's answer to a grant (settings/oauth/index.md).
const answer = {
  access_token: 'access-1',
  refresh_token: 'refresh-1',
  expires: 1_900_000_000,
  expires_in: 3600,
  member_id: 'a0b1c2',
  client_endpoint: 'https://company.bitrix24.com/rest',
  server_endpoint: 'https://oauth.bitrix.info/rest/',
  scope: 'imbot,im,placement,user_brief',
  status: 'L',
  user_id: 7,
};

describe('parseGrant', () => {
  it('reads the grant, with the REST endpoint ending in a slash', () => {
    expect(parseGrant(answer)).toEqual({
      accessToken: 'access-1',
      refreshToken: 'refresh-1',
      expiresAt: 1_900_000_000_000,
      memberId: 'a0b1c2',
      clientEndpoint: 'https://company.bitrix24.com/rest/',
      serverEndpoint: 'https://oauth.bitrix.info/rest/',
      scope: 'imbot,im,placement,user_brief',
      status: 'L',
      userId: 7,
    });
  });

  it.each(['access_token', 'refresh_token', 'member_id', 'client_endpoint'])('is no answer without %s', (field) => {
    expect(() => parseGrant({ ...answer, [field]: undefined })).toThrow(Bitrix24UnavailableError);
    expect(() => parseGrant({ ...answer, [field]: '' })).toThrow(new RegExp(field));
  });

  it('takes numbers sent as text, and counts from expires_in when expires is missing', () => {
    const before = Date.now();
    const grant = parseGrant({ ...answer, expires: undefined, expires_in: '600', user_id: '9' });
    expect(grant.expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(grant.expiresAt).toBeLessThan(before + 660_000);
    expect(grant.userId).toBe(9);
  });

  it('has no user for a portal grant (user_id absent or not a positive whole number)', () => {
    expect(parseGrant({ ...answer, user_id: undefined }).userId).toBeNull();
    expect(parseGrant({ ...answer, user_id: '0' }).userId).toBeNull();
    expect(parseGrant({ ...answer, user_id: 'someone' }).userId).toBeNull();
  });

  it('gives a safe reading of the optional fields', () => {
    expect(parseGrant({ ...answer, scope: 42, status: null, server_endpoint: undefined })).toMatchObject({
      scope: '',
      status: 'L',
      serverEndpoint: '',
    });
  });
});
