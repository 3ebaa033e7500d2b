import { AppError } from '../../../server/errors';
import { chatIdFromPlacement, parseFrameForm } from '../../../server/http/schemas/frame';

// The form Bitrix24 posts into the app's iframe at install and at each opening.
const AUTH_ID = 'a1b2c3d4e5f6.auth-token_x';
const REFRESH_ID = 'r1b2c3d4e5f6.refresh-token_x';
const form = {
  member_id: 'a0b1c2d3e4f5',
  AUTH_ID,
  REFRESH_ID,
  AUTH_EXPIRES: '3600',
  APPLICATION_TOKEN: 'app1token2',
  PLACEMENT: 'DEFAULT',
  PLACEMENT_OPTIONS: '',
};

function refusedWith(body: unknown): string {
  try {
    parseFrameForm(body);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).code;
  }
  throw new Error('the form was accepted');
}

describe('parseFrameForm', () => {
  it('reads the form the portal posts', () => {
    expect(parseFrameForm(form)).toEqual({
      memberId: 'a0b1c2d3e4f5',
      authId: AUTH_ID,
      refreshId: REFRESH_ID,
      authExpires: 3600,
      applicationToken: 'app1token2',
      placement: 'DEFAULT',
      placementOptions: {},
    });
  });

  it('does not authenticate a form without member_id or AUTH_ID', () => {
    expect(refusedWith({ ...form, member_id: undefined })).toBe('NOT_AUTHENTICATED');
    expect(refusedWith({ ...form, AUTH_ID: '' })).toBe('NOT_AUTHENTICATED');
    expect(refusedWith(undefined)).toBe('NOT_AUTHENTICATED');
  });

  it('does not authenticate a member_id or AUTH_ID of a shape Bitrix24 never issues', () => {
    expect(refusedWith({ ...form, member_id: '../portal' })).toBe('NOT_AUTHENTICATED');
    expect(refusedWith({ ...form, member_id: 'm'.repeat(65) })).toBe('NOT_AUTHENTICATED');
    expect(refusedWith({ ...form, AUTH_ID: 'short' })).toBe('NOT_AUTHENTICATED');
    expect(refusedWith({ ...form, AUTH_ID: `${AUTH_ID} OR 1=1` })).toBe('NOT_AUTHENTICATED');
    expect(refusedWith({ ...form, AUTH_ID: [AUTH_ID, AUTH_ID] })).toBe('NOT_AUTHENTICATED');
  });

  it('refuses a malformed REFRESH_ID rather than dropping it, and takes an empty one as absent', () => {
    expect(refusedWith({ ...form, REFRESH_ID: 'not a token' })).toBe('NOT_AUTHENTICATED');
    expect(parseFrameForm({ ...form, REFRESH_ID: '' }).refreshId).toBeNull();
  });

  it('drops an unreadable expiry or application token instead of refusing the user', () => {
    const parsed = parseFrameForm({ ...form, AUTH_EXPIRES: 'soon', APPLICATION_TOKEN: 'bad token' });
    expect(parsed.authExpires).toBeNull();
    expect(parsed.applicationToken).toBeNull();
    expect(parseFrameForm({ ...form, AUTH_EXPIRES: '-5' }).authExpires).toBeNull();
  });

  it('reads placement options only when they are a JSON object of a sane size', () => {
    expect(
      parseFrameForm({ ...form, PLACEMENT: 'IM_SIDEBAR', PLACEMENT_OPTIONS: '{"dialogId":"chat12"}' }),
    ).toMatchObject({ placement: 'IM_SIDEBAR', placementOptions: { dialogId: 'chat12' } });
    expect(parseFrameForm({ ...form, PLACEMENT_OPTIONS: '{"dialogId":' }).placementOptions).toEqual({});
    expect(parseFrameForm({ ...form, PLACEMENT_OPTIONS: '["chat12"]' }).placementOptions).toEqual({});
    expect(
      parseFrameForm({ ...form, PLACEMENT_OPTIONS: JSON.stringify({ dialogId: 'chat12', pad: 'x'.repeat(4096) }) })
        .placementOptions,
    ).toEqual({});
  });

  it('opens the default placement when the portal names none', () => {
    expect(parseFrameForm({ ...form, PLACEMENT: undefined }).placement).toBe('DEFAULT');
  });
});

describe('chatIdFromPlacement', () => {
  it('takes the chat of a group chat sidebar (dialogId chatNNN)', () => {
    expect(chatIdFromPlacement({ dialogId: 'chat12' })).toBe(12);
  });

  it('takes nothing from a private dialog, a malformed id or no id', () => {
    expect(chatIdFromPlacement({ dialogId: '12' })).toBeNull();
    expect(chatIdFromPlacement({ dialogId: 'chat' })).toBeNull();
    expect(chatIdFromPlacement({ dialogId: 'chat12345678901' })).toBeNull();
    expect(chatIdFromPlacement({ dialogId: 12 })).toBeNull();
    expect(chatIdFromPlacement({})).toBeNull();
  });
});
