import { MARKETING_CHAT_ID, type Emulator } from '../../emulator/index';
import { pngBase64, registerBot, rest, start, tokenFor } from './helpers';

// A chat's avatar link (im.dialog.get's `avatar`): on a CDN host of the emulator's own for a
// cloud portal, on the portal's own host on-premise; each change a new file and a new link, the
// old one gone; and faults that make a link unreachable, slow, huge or something else.

describe('chat avatar links', () => {
  let emulator: Emulator;
  afterEach(() => emulator.close());
  const portal = () => emulator.portals[0]!;

  async function changeAvatar(image: string, auth: string, botId: number) {
    const res = await rest(
      portal(),
      'imbot.chat.updateAvatar',
      { CHAT_ID: MARKETING_CHAT_ID, BOT_ID: botId, AVATAR: image },
      auth,
    );
    expect(res.body.result).toBe(true);
  }
  const linkNow = async (auth: string) =>
    (await rest(portal(), 'im.dialog.get', { DIALOG_ID: `chat${MARKETING_CHAT_ID}` }, auth)).body.result
      .avatar as string;

  async function setUp(profile: 'cloud' | 'onprem-old') {
    emulator = await start({ profile });
    const admin = tokenFor(portal(), 1);
    const botId = await registerBot(portal(), admin);
    await rest(portal(), 'im.chat.user.add', { CHAT_ID: MARKETING_CHAT_ID, USERS: [botId] }, admin);
    return { admin, botId };
  }

  it("a cloud portal's link is on the CDN's own host; each change a new link, the old one gone", async () => {
    const { admin, botId } = await setUp('cloud');
    expect(await linkNow(admin)).toBe('');
    const first = await pngBase64(40, 40);
    await changeAvatar(first, admin, botId);
    const link = await linkNow(admin);
    expect(new URL(link).origin).toBe(emulator.avatarCdnUrl);
    expect(new URL(link).origin).not.toBe(new URL(portal().baseUrl).origin);
    expect(link).toMatch(/\/b1\/resize_cache\/12\/im\/[0-9a-f]{32}\.png$/);
    const served = await fetch(link);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(first, 'base64'))).toBe(true);
    await changeAvatar(await pngBase64(41, 41), admin, botId);
    const next = await linkNow(admin);
    expect(next).not.toBe(link);
    expect((await fetch(link)).status).toBe(404);
    expect((await fetch(next)).status).toBe(200);
    expect(portal().avatarFetches()).toBe(3);
  });

  it("an on-premise portal's link is on the portal's own host", async () => {
    const { admin, botId } = await setUp('onprem-old');
    const image = await pngBase64(30, 30);
    await changeAvatar(image, admin, botId);
    const link = await linkNow(admin);
    expect(new URL(link).origin).toBe(new URL(portal().baseUrl).origin);
    expect(link).toMatch(/\/upload\/resize_cache\/im\/12\/[0-9a-f]{32}\.png$/);
    expect(Buffer.from(await (await fetch(link)).arrayBuffer()).equals(Buffer.from(image, 'base64'))).toBe(true);
  });

  it('faults make a link unreachable, slow, huge, not an image, a redirect, or another link', async () => {
    const { admin, botId } = await setUp('cloud');
    await changeAvatar(await pngBase64(20, 20), admin, botId);
    const link = await linkNow(admin);

    portal().injectAvatarFault({ kind: 'unreachable', times: 1 });
    await expect(fetch(link)).rejects.toThrow();
    expect((await fetch(link)).status).toBe(200);

    portal().injectAvatarFault({ kind: 'not_image', times: 1 });
    expect(await (await fetch(link)).text()).toContain('<!doctype html>');

    portal().injectAvatarFault({ kind: 'redirect', location: 'http://169.254.169.254/latest/meta-data/', times: 1 });
    const redirected = await fetch(link, { redirect: 'manual' });
    expect(redirected.status).toBe(302);
    expect(redirected.headers.get('location')).toBe('http://169.254.169.254/latest/meta-data/');

    portal().injectAvatarFault({ kind: 'huge', bytes: 3 * 1024 * 1024, times: 1 });
    const huge = await fetch(link);
    expect(huge.headers.get('content-length')).toBeNull();
    expect((await huge.arrayBuffer()).byteLength).toBeGreaterThanOrEqual(3 * 1024 * 1024);

    portal().injectAvatarFault({ kind: 'slow', times: 1 });
    const slow = await fetch(link, { signal: AbortSignal.timeout(300) });
    await expect(slow.arrayBuffer()).rejects.toThrow();

    portal().injectAvatarFault({ kind: 'link', link: 'http://10.0.0.1/avatar.png', times: 1 });
    expect(await linkNow(admin)).toBe('http://10.0.0.1/avatar.png?v=1');
    expect(await linkNow(admin)).toBe(link);

    // Without `times`, every fetch until cleared.
    portal().injectAvatarFault({ kind: 'not_image' });
    expect(await (await fetch(link)).text()).toContain('Sign in');
    expect(await (await fetch(link)).text()).toContain('Sign in');
    portal().clearAvatarFaults();
    expect((await fetch(link)).headers.get('content-type')).toBe('image/png');
  });

  it('no method takes an empty avatar: a chat avatar cannot be removed', async () => {
    const { admin, botId } = await setUp('cloud');
    await changeAvatar(await pngBase64(20, 20), admin, botId);
    const refused = { error: 'AVATAR_ERROR', error_description: 'Avatar incorrect type' };
    for (const [method, params] of [
      ['imbot.chat.updateAvatar', { CHAT_ID: MARKETING_CHAT_ID, BOT_ID: botId, AVATAR: '' }],
      ['imbot.chat.updateAvatar', { CHAT_ID: MARKETING_CHAT_ID, BOT_ID: botId }],
      ['im.chat.updateAvatar', { CHAT_ID: MARKETING_CHAT_ID, AVATAR: '' }],
      ['imbot.v2.Chat.update', { botId, dialogId: `chat${MARKETING_CHAT_ID}`, fields: { avatar: '' } }],
      ['imbot.v2.Chat.update', { botId, dialogId: `chat${MARKETING_CHAT_ID}`, fields: { avatar: null } }],
    ] as const)
      expect((await rest(portal(), method, params, admin)).body).toEqual(refused);
    expect(await linkNow(admin)).not.toBe('');
  });
});
