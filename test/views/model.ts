import type { AppPageModel } from '../../views/app-page';

export const XSS = '<img src=x onerror=alert(1)>';

export function appPageModel(over: Partial<AppPageModel> = {}): AppPageModel {
  return {
    lang: 'en',
    appToken: 'tok.en',
    appTokenExpiresAt: 1_760_000_000_000,
    user: { id: 1, name: 'Anna', isAdmin: false },
    portal: { domain: 'acme.bitrix24.com', memberId: 'm1' },
    initialChatId: null,
    inFrame: true,
    limits: { maxUploadBytes: 10_485_760, outputSide: 512 },
    ...over,
  };
}

/** The JSON the page hands to public/app.js, parsed as the browser would. */
export function pageData(html: string): Record<string, unknown> {
  const match = /<script type="application\/json" id="app-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error('no app-data script');
  return JSON.parse(match[1]!) as Record<string, unknown>;
}
