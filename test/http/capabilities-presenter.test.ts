import { presentCapabilities } from '../../server/http/presenters/capabilities';
import { serverStrings } from '../../server/lang';
import type { LearntCapabilities } from '../../server/store/store';

// The Status tab's words for what the app learnt of a portal, where the emulator's profiles do
// not reach: a portal that could not say, one with no avatar method at all, one never asked.
describe('presentCapabilities', () => {
  const en = serverStrings('en').capabilities;
  const learnt = (over: Partial<LearntCapabilities>): LearntCapabilities => ({
    methods: {},
    scopes: ['imbot', 'im', 'placement', 'user'],
    dialogFields: { role: true, permissions: true, restrictions: true },
    events: null,
    learntAt: new Date('2026-05-01T08:00:00Z'),
    ...over,
  });
  const values = (shown: ReturnType<typeof presentCapabilities>) => shown.rows.map((row) => row.value);

  it('uses imbot.chat.updateAvatar when method.get could not say, and says so', () => {
    const shown = presentCapabilities(learnt({ methods: { 'imbot.v2.Chat.update': null } }), '', 'en');
    expect(shown.changeMethod).toBe('imbot.chat.updateAvatar');
    expect(values(shown)[0]).toBe(en.methodUnknown);
    expect(shown.issues).toEqual([]);
  });

  it('says when the portal has no avatar method at all, as something to fix', () => {
    const none = { isExisting: false, isAvailable: false };
    const shown = presentCapabilities(
      learnt({ methods: { 'imbot.v2.Chat.update': none, 'imbot.chat.updateAvatar': none } }),
      '',
      'en',
    );
    expect(shown.rows[0]).toEqual({ term: en.methodTerm, value: en.methodNone, bad: true });
    expect(shown.issues).toEqual([en.issueNoMethod]);
  });

  it('counts `user` as the user_brief the app needs', () => {
    expect(presentCapabilities(learnt({}), '', 'en').scopes.missing).toEqual([]);
  });

  it('shows the scopes of the install while `scope` was never answered, and a portal never asked as such', () => {
    const shown = presentCapabilities(null, 'imbot,im placement', 'ru');
    const ru = serverStrings('ru').capabilities;
    expect(values(shown)).toEqual([
      ru.methodUnknown,
      'imbot, im, placement',
      ru.dialogUnknown,
      ru.methodsUnknown,
      ru.eventsUnknown,
      ru.learntNever,
    ]);
    expect(shown.rows[5]!.bad).toBe(true);
    expect(shown.learntAt).toBeNull();
    expect(values(presentCapabilities(learnt({ scopes: null }), '', 'ru'))[1]).toBe(ru.scopesUnknown);
  });

  it('names the methods a portal lacks or does not allow, and a missing event, each with what it is for', () => {
    const shown = presentCapabilities(
      learnt({
        methods: {
          'user.search': { isExisting: false, isAvailable: false },
          'imbot.message.add': { isExisting: true, isAvailable: false },
          'im.dialog.get': { isExisting: true, isAvailable: true },
        },
        events: { ONAPPUNINSTALL: false },
      }),
      '',
      'en',
    );
    expect(shown.missingMethods).toEqual(['user.search']);
    expect(shown.disallowedMethods).toEqual(['imbot.message.add']);
    expect(shown.missingEvents).toEqual(['ONAPPUNINSTALL']);
    const row = (term: string) => shown.rows.find((r) => r.term === term)!;
    expect(row(en.methodsTerm)).toEqual({
      term: en.methodsTerm,
      value: `${en.methodsMissing.replace('{methods}', `user.search (${en.purposeAccess})`)}; ${en.methodsNotAllowed.replace(
        '{methods}',
        `imbot.message.add (${en.purposeGreeting})`,
      )}`,
      bad: true,
    });
    expect(row(en.eventsTerm)).toMatchObject({ bad: true });
    expect(shown.issues).toEqual([
      en.issueMissingMethods.replace('{methods}', `user.search (${en.purposeAccess})`),
      en.issueMissingEvents.replace('{events}', `ONAPPUNINSTALL (${en.purposeUninstall})`),
    ]);
  });

  it('reads im.dialog.get without restrictions as the older generation', () => {
    const shown = presentCapabilities(
      learnt({ dialogFields: { role: true, permissions: true, restrictions: false } }),
      '',
      'en',
    );
    expect(shown.dialogFields).toBe('absent');
    expect(values(shown)[2]).toBe(en.dialogAbsent);
  });
});
