import {
  changeMethodOf,
  CURRENT_CHANGE_METHOD,
  DEPRECATED_CHANGE_METHOD,
  disallowedMethods,
  missingEvents,
  missingMethods,
  missingScopes,
  NEEDED_EVENTS,
  NEEDED_METHODS,
  type AvatarChangeMethod,
  type Purpose,
} from '../../portal/portal-capabilities';
import { serverStrings, type Lang } from '../../lang';
import type { LearntCapabilities } from '../../store/store';

/** One line of the Status tab, in the reader's language; `{time}` in `value` is `at` in the reader's clock. */
export interface CapabilityRow {
  term: string;
  value: string;
  bad: boolean;
  at?: string;
}

/** The Status tab's words for chat permissions: whether im.dialog.get reports them. */
export type DialogFieldsState = 'present' | 'absent' | 'unknown';

/**
 * What the app learnt of the portal's Bitrix24, for the Status tab: the facts, and the same
 * in words in the reading administrator's language (`rows`, and `issues` for the summary).
 * `grantedAtInstall` (the OAuth grant's scope) stands in while `scope` was never answered.
 */
export function presentCapabilities(learnt: LearntCapabilities | null, grantedAtInstall: string, lang: Lang) {
  const words = serverStrings(lang).capabilities;
  const changeMethod: AvatarChangeMethod = changeMethodOf(learnt);
  const v2 = learnt?.methods[CURRENT_CHANGE_METHOD] ?? null;
  const old = learnt?.methods[DEPRECATED_CHANGE_METHOD] ?? null;
  const noMethod = v2?.isExisting === false && old?.isExisting === false;
  const methodWords = noMethod
    ? words.methodNone
    : changeMethod === CURRENT_CHANGE_METHOD
      ? words.methodCurrent
      : v2 === null
        ? words.methodUnknown
        : v2.isExisting
          ? words.methodV2NotAllowed
          : words.methodNoV2;

  const granted = learnt?.scopes ?? grantedAtInstall.split(/[\s,]+/).filter(Boolean);
  const missing = missingScopes(learnt?.scopes ?? null);
  const list = (scopes: string[]) => scopes.join(', ');
  const scopeWords =
    granted.length === 0
      ? words.scopesUnknown
      : missing.length
        ? words.scopesMissing.replace('{scopes}', list(granted)).replace('{missing}', list(missing))
        : list(granted);

  const fields = learnt?.dialogFields ?? null;
  const dialogFields: DialogFieldsState =
    fields === null ? 'unknown' : fields.permissions && fields.restrictions ? 'present' : 'absent';
  const dialogWords = { present: words.dialogPresent, absent: words.dialogAbsent, unknown: words.dialogUnknown }[
    dialogFields
  ];

  // The methods and events the app needs that this Bitrix24 lacks (an on-premise portal may),
  // each with what it is for, in the reader's words.
  const purposeWords: Record<Purpose, string> = {
    setup: words.purposeSetup,
    access: words.purposeAccess,
    chats: words.purposeChats,
    greeting: words.purposeGreeting,
    uninstall: words.purposeUninstall,
  };
  const named = (names: string[], purposes: Readonly<Record<string, Purpose>>) =>
    names.map((name) => `${name} (${purposeWords[purposes[name]!]})`).join(', ');
  const absentMethods = missingMethods(learnt);
  const refusedMethods = disallowedMethods(learnt);
  const absentEvents = missingEvents(learnt);
  const methodsKnown = Object.keys(NEEDED_METHODS).some((name) => learnt?.methods[name]);
  const methodsWords = !methodsKnown
    ? words.methodsUnknown
    : absentMethods.length || refusedMethods.length
      ? [
          ...(absentMethods.length
            ? [words.methodsMissing.replace('{methods}', named(absentMethods, NEEDED_METHODS))]
            : []),
          ...(refusedMethods.length
            ? [words.methodsNotAllowed.replace('{methods}', named(refusedMethods, NEEDED_METHODS))]
            : []),
        ].join('; ')
      : words.methodsPresent;
  const events = learnt?.events ?? null;
  const eventsWords =
    events === null
      ? words.eventsUnknown
      : absentEvents.length
        ? words.eventsMissing.replace('{events}', named(absentEvents, NEEDED_EVENTS))
        : words.eventsPresent.replace('{events}', Object.keys(NEEDED_EVENTS).join(', '));

  const rows: CapabilityRow[] = [
    { term: words.methodTerm, value: methodWords, bad: noMethod },
    { term: words.scopesTerm, value: scopeWords, bad: missing.length > 0 },
    { term: words.dialogTerm, value: dialogWords, bad: false },
    { term: words.methodsTerm, value: methodsWords, bad: absentMethods.length > 0 || refusedMethods.length > 0 },
    { term: words.eventsTerm, value: eventsWords, bad: absentEvents.length > 0 },
    learnt
      ? { term: words.learntTerm, value: words.learntAt, bad: false, at: learnt.learntAt.toISOString() }
      : { term: words.learntTerm, value: words.learntNever, bad: true },
  ];
  const issues = [
    ...(noMethod ? [words.issueNoMethod] : []),
    ...(missing.length ? [words.issueMissingScopes.replace('{missing}', list(missing))] : []),
    ...(absentMethods.length
      ? [words.issueMissingMethods.replace('{methods}', named(absentMethods, NEEDED_METHODS))]
      : []),
    ...(absentEvents.length ? [words.issueMissingEvents.replace('{events}', named(absentEvents, NEEDED_EVENTS))] : []),
  ];
  return {
    learntAt: learnt?.learntAt.toISOString() ?? null,
    changeMethod,
    methods: learnt?.methods ?? {},
    scopes: { granted: learnt?.scopes ?? null, missing },
    missingMethods: absentMethods,
    disallowedMethods: refusedMethods,
    missingEvents: absentEvents,
    dialogFields,
    rows,
    issues,
  };
}
