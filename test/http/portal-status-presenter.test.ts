import { LANGS, serverStrings, type Lang } from '../../server/lang';
import { presentPortalStatus } from '../../server/http/presenters/portal-status';
import type { PortalStatus } from '../../server/portal/portal-status';
import type { LearntCapabilities } from '../../server/store/store';

// The Status tab in words: one sentence of what is wrong and what the administrator can do, the
// repairs that can help and no other, and codes only in the details.
describe('presentPortalStatus', () => {
  const learnt: LearntCapabilities = {
    methods: {
      'imbot.v2.Chat.update': { isExisting: true, isAvailable: true },
      'imbot.chat.updateAvatar': { isExisting: true, isAvailable: true },
    },
    scopes: ['imbot', 'im', 'placement', 'user_brief'],
    dialogFields: { role: true, permissions: true, restrictions: true },
    events: null,
    learntAt: new Date('2026-05-01T08:00:00Z'),
  };
  const handler = 'https://app.example.com/events';
  const healthy = (): PortalStatus => ({
    portal: {
      memberId: 'm1',
      domain: 'company.bitrix24.com',
      clientEndpoint: 'https://company.bitrix24.com/rest/',
      serverEndpoint: 'https://oauth.bitrix.info/rest/',
      applicationToken: null,
      scope: 'imbot,im,placement,user_brief',
      status: 'L',
      state: 'installed',
      installedAt: new Date('2026-04-01T08:00:00Z'),
      uninstalledAt: null,
      botId: 7,
      lastRefreshAt: new Date('2026-05-01T09:00:00Z'),
      lastRefreshOk: true,
      setupProblems: [],
    },
    problems: [],
    setup: {
      bot: { id: 7, name: 'Chat Avatar', registered: true },
      events: [{ event: 'ONAPPUNINSTALL', handler }],
      placements: [{ placement: 'IM_SIDEBAR', handler: 'https://app.example.com/' }],
    },
    capabilities: learnt,
  });
  const accessLost = (): PortalStatus => ({
    ...healthy(),
    portal: { ...healthy().portal, lastRefreshOk: false },
    setup: {
      bot: { id: 7, name: 'Chat Avatar', registered: false },
      events: [],
      placements: [],
      unavailable: { why: 'PORTAL_AUTH_LOST' },
    },
    problems: [
      {
        step: 'bot',
        code: 'PORTAL_AUTH_LOST',
        argument: null,
        description: 'refresh refused: invalid_grant',
        at: '2026-05-01T09:00:00.000Z',
      },
    ],
  });
  const placementRefused = (): PortalStatus => ({
    ...healthy(),
    setup: { ...healthy().setup, placements: [] },
    problems: [
      {
        step: 'placements',
        code: 'ERROR_ARGUMENT',
        argument: 'OPTIONS',
        description: 'Wrong options',
        at: '2026-05-01T09:00:00.000Z',
      },
    ],
  });
  // Codes the administrator must not read outside the details fold.
  const CODE = /ONAPPUNINSTALL|IM_SIDEBAR|PORTAL_AUTH_LOST|invalid_grant|ERROR_ARGUMENT|imbot|user_brief|https?:\/\//;
  const visible = (shown: ReturnType<typeof presentPortalStatus>) => [
    shown.summary.sentence,
    ...shown.rows.flatMap((row) => [row.term, row.value]),
    ...shown.parts.map((part) => part.name),
  ];

  it('says all is well in one sentence, offers no repair, and keeps the codes in the details', () => {
    const shown = presentPortalStatus(healthy(), 'en');
    expect(shown.summary).toEqual({ state: 'healthy', sentence: serverStrings('en').status.healthy, repairs: [] });
    for (const text of visible(shown)) expect(text).not.toMatch(CODE);
    const details = shown.details.map((row) => row.value).join('\n');
    expect(details).toContain(`ONAPPUNINSTALL → ${handler}`);
    expect(details).toContain('IM_SIDEBAR');
    expect(details).toContain('imbot, im, placement, user_brief');
  });

  it.each(LANGS)(
    'says in %s that the access was lost and what to do, with no repair, and no code or English in sight',
    (lang: Lang) => {
      const shown = presentPortalStatus(accessLost(), lang);
      expect(shown.summary).toEqual({
        state: 'access_lost',
        sentence: serverStrings(lang).status.accessLost,
        repairs: [],
      });
      for (const text of visible(shown)) expect(text).not.toMatch(CODE);
      if (lang !== 'en')
        for (const text of visible(shown))
          expect([text, serverStrings('en').status.accessLost]).not.toEqual([text, text]);
      // The code and Bitrix24's words are there for support.
      expect(shown.details.map((row) => row.value).join('\n')).toContain('PORTAL_AUTH_LOST');
      // Five "missing" parts would be wrong: nothing is known of them. The access is what is lost.
      expect(shown.rows.filter((row) => row.bad).map((row) => row.value)).toEqual([
        serverStrings(lang).status.accessLostValue,
      ]);
    },
  );

  it('never tells the administrator to ask an administrator', () => {
    for (const lang of LANGS)
      for (const status of [healthy(), accessLost(), placementRefused()])
        expect(presentPortalStatus(status, lang).summary.sentence).not.toMatch(/ask your administrator/i);
  });

  it('offers only the repair that can help: the bindings for a refused placement, saying Bitrix24 refused', () => {
    const shown = presentPortalStatus(placementRefused(), 'en');
    const words = serverStrings('en').status;
    expect(shown.summary).toEqual({
      state: 'setup_missing',
      sentence: words.setupRefused.replace('{parts}', words.partPlacements),
      repairs: ['bindings'],
    });
    expect(shown.details.map((row) => row.value)).toContainEqual(
      '{time}: placements: ERROR_ARGUMENT (OPTIONS) Wrong options',
    );
  });

  it('offers the bot repair for a missing bot, and neither when Bitrix24 did not answer', () => {
    const missingBot = healthy();
    missingBot.setup.bot.registered = false;
    expect(presentPortalStatus(missingBot, 'en').summary.repairs).toEqual(['bot']);
    const unreachable = accessLost();
    unreachable.setup.unavailable = { why: 'BITRIX24_UNAVAILABLE' };
    unreachable.problems = [];
    expect(presentPortalStatus(unreachable, 'en').summary).toMatchObject({ state: 'unreachable', repairs: [] });
  });

  it('sends a missing scope to a reinstall, named in words', () => {
    const status = healthy();
    status.capabilities = { ...learnt, scopes: ['im', 'placement', 'user_brief'] };
    const shown = presentPortalStatus(status, 'de');
    expect(shown.summary.state).toBe('scopes_missing');
    expect(shown.summary.repairs).toEqual([]);
    expect(shown.summary.sentence).toBe(
      serverStrings('de').status.scopesMissing.replace('{missing}', serverStrings('de').status.scopeImbot),
    );
  });
});
