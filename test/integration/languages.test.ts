import { ADMIN_USER_ID } from '../../emulator/index';
import { pageData } from '../views/model';
import { installedStack, type InstalledStack } from '../support/stack';

// The portal's LANG reaches the user: the page, the app token, every sentence the API answers.
describe("the portal's language", () => {
  let stack: InstalledStack;
  beforeAll(async () => {
    stack = await installedStack();
  });
  afterAll(async () => {
    await stack.close();
  });

  const openIn = (lang: string) => stack.open(0, ADMIN_USER_ID, { lang });

  it.each([
    ['de', 'de', 'Avatar übernehmen'],
    ['la', 'es', 'Aplicar avatar'],
    ['br', 'pt-BR', null],
    ['ua', 'uk', null],
    ['tr', 'tr', null],
  ])('renders the page in %s', async (lang, htmlLang, applyButton) => {
    const { res } = await openIn(lang);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<html lang="${htmlLang}">`);
    const data = pageData(res.text) as { lang: string; strings: Record<string, string> };
    expect(data.lang).toBe(lang);
    if (applyButton) expect(data.strings.applyButton).toBe(applyButton);
  });

  it.each(['kz', 'ar', 'ja', 'sc', 'xx'])(
    'shows a language without a translation (%s) in English, not Russian',
    async (lang) => {
      const { res, token } = await openIn(lang);
      expect(res.text).toContain('<html lang="en">');
      const err = await stack.http.get('/api/chats/abc').set('Authorization', `Bearer ${token}`);
      expect(err.body.error.message).toMatch(/^[\x20-\x7e’]+$/);
    },
  );

  it('carries the language in the app token, so the API answers in it, in the one error shape', async () => {
    const { token } = await openIn('de');
    const res = await stack.http
      .put('/api/admin/settings')
      .set('Authorization', `Bearer ${token}`)
      .send({
        outputSide: 10,
        outputFormat: 'gif',
        jpegQuality: 85,
        maxUploadBytes: 10,
        access: { mode: 'users', userIds: [] },
      });
    expect(res.status).toBe(422);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatchObject({ code: 'INVALID_SETTINGS', message: 'Einige Einstellungen sind ungültig.' });
    expect(res.body.error.fields).toEqual({
      outputSide: 'Geben Sie eine ganze Zahl von Pixeln zwischen 64 und 5000 ein.',
      outputFormat: 'Wählen Sie „Automatisch“, PNG oder JPEG.',
      maxUploadBytes: 'Geben Sie ein Upload-Limit von 0,1 MB bis zum Maximum des Servers von 25 MB ein.',
    });
    const pl = (await openIn('pl')).token;
    const nobody = await stack.http
      .put('/api/admin/settings')
      .set('Authorization', `Bearer ${pl}`)
      .send({
        outputSide: 512,
        outputFormat: 'auto',
        jpegQuality: 85,
        maxUploadBytes: 1048576,
        access: { mode: 'users', userIds: [] },
      });
    expect(nobody.body.error.fields).toEqual({ 'access.userIds': 'Wybierz co najmniej jednego użytkownika.' });
  });

  it('answers a Ukrainian user in Ukrainian and a Turkish one in Turkish', async () => {
    for (const [lang, message] of [
      ['ua', 'Не знайдено.'],
      ['tr', 'Bulunamadı.'],
    ] as const) {
      const { token } = await openIn(lang);
      const res = await stack.http.get('/api/nowhere').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message } });
    }
  });

  it('reads Accept-Language as BCP 47 when Bitrix24 sent no LANG (uk is Ukrainian, pt-BR Brazilian)', async () => {
    const uk = await stack.http.get('/').set('Accept', 'text/html').set('Accept-Language', 'uk-UA,uk;q=0.9');
    expect(uk.status).toBe(404);
    expect(uk.text).toContain('Відкрийте «Аватар чату» зі свого Бітрікс24');
    const pt = await stack.http.get('/').set('Accept-Language', 'pt-BR,pt;q=0.9,en;q=0.5');
    expect(pt.body.error.message).toContain('Abra o “Avatar do chat” pelo seu Bitrix24');
    const kk = await stack.http.get('/').set('Accept-Language', 'kk');
    expect(kk.body.error.message).toContain('Open Chat Avatar');
  });
});
