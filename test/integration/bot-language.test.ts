import { ADMIN_USER_ID } from '../../emulator/index';
import { startStack, type Stack } from '../support/stack';

// The bot is named once, when imbot.register runs, in the language of the administrator who
// installs; the sidebar item carries its title in every language the app speaks (LANG_ALL).
describe("the bot's name and the sidebar item's title", () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.close();
  });
  const portal = () => stack.emulator.portals[0]!;
  // Once installed, the portal opens the app itself; a reinstall posts to the install page again.
  const installIn = async (lang: string) => {
    const form = portal().launch({ userId: ADMIN_USER_ID, lang });
    const url = new URL(form.url);
    url.pathname = '/install';
    const res = await stack.post({ ...form, url: url.toString() });
    expect(res.status).toBe(200);
    portal().finishInstall();
  };
  const bots = () => [...portal().state.bots.values()];
  const sidebar = () => portal().state.placements.find((p) => p.name === 'IM_SIDEBAR')!;

  it.each([
    ['de', 'Chat-Avatar'],
    ['ru', 'Аватар чата'],
    ['la', 'Avatar del chat'],
    ['ua', 'Аватар чату'],
    ['kz', 'Chat Avatar'],
  ])("registers the bot in the installing administrator's language (%s)", async (lang, name) => {
    await installIn(lang);
    expect(bots().map((bot) => bot.name)).toEqual([name]);
    expect(sidebar().title).toBe(name);
  });

  it('gives the sidebar item a title in each of the ten languages', async () => {
    await installIn('en');
    const titles = Object.fromEntries(Object.entries(sidebar().langAll ?? {}).map(([lang, v]) => [lang, v.TITLE]));
    expect(titles).toEqual({
      en: 'Chat Avatar',
      ru: 'Аватар чата',
      de: 'Chat-Avatar',
      la: 'Avatar del chat',
      br: 'Avatar do chat',
      fr: 'Avatar de chat',
      it: 'Avatar della chat',
      pl: 'Awatar czatu',
      ua: 'Аватар чату',
      tr: 'Sohbet avatarı',
    });
  });

  it('keeps the name a bot was registered with when the app is reinstalled in another language', async () => {
    await installIn('de');
    await installIn('fr');
    expect(bots().map((bot) => bot.name)).toEqual(['Chat-Avatar']);
  });
});
