import { localeOf, serverStrings, type Lang } from '../../lang';
import { NEEDED_SCOPES } from '../../portal/portal-capabilities';
import type { PortalStatus } from '../../portal/portal-status';
import type { SetupStep } from '../../portal/portal-setup';
import { diagnose, missingSteps, type Diagnosis } from '../../portal/status-diagnosis';
import { presentCapabilities, type CapabilityRow } from './capabilities';

/** A line of the Status tab's details fold: what support asks for, codes and addresses as they are. */
export interface DetailRow {
  term: string;
  value: string;
  at?: string;
}

/**
 * The Status tab's answer. In the reader's words: `summary` (what is wrong and what the
 * administrator can do, in one sentence, and the repairs that can help), `rows` and `parts`
 * (what a repair may set up again). The codes (event names and handler addresses, IM_SIDEBAR,
 * scopes, Bitrix24's error codes) only in `details`. The facts stay beside them for scripts.
 */
export const presentPortalStatus = (status: PortalStatus, lang: Lang) => {
  const capabilities = presentCapabilities(status.capabilities, status.portal.scope, lang);
  const diagnosis = diagnose(status);
  return {
    portal: {
      memberId: status.portal.memberId,
      domain: status.portal.domain,
      scope: status.portal.scope,
      status: status.portal.status,
      state: status.portal.state,
      installedAt: status.portal.installedAt.toISOString(),
      lastRefreshAt: status.portal.lastRefreshAt?.toISOString() ?? null,
      lastRefreshOk: status.portal.lastRefreshOk,
    },
    problems: status.problems,
    ...status.setup,
    summary: { state: diagnosis.state, sentence: summarySentence(diagnosis, lang), repairs: diagnosis.repairs },
    rows: statusRows(status, diagnosis, capabilities, lang),
    parts: setupParts(status, lang),
    details: statusDetails(status, capabilities, lang),
    // Which Bitrix24 this is: the avatar method, the scopes, im.dialog.get's fields.
    capabilities,
  };
};

const list = (items: string[], lang: Lang) =>
  new Intl.ListFormat(localeOf(lang), { type: 'conjunction' }).format(items);

const partWords = (step: SetupStep, lang: Lang) => {
  const words = serverStrings(lang).status;
  return { bot: words.partBot, events: words.partEvents, placements: words.partPlacements }[step];
};

/** The scopes the app needs, named for what they let it do, as one list in the reader's language. */
export function scopesInWords(scopes: readonly string[], lang: Lang): string {
  const words = serverStrings(lang).status;
  const named: Record<string, string> = {
    imbot: words.scopeImbot,
    im: words.scopeIm,
    placement: words.scopePlacement,
    user_brief: words.scopeUserBrief,
  };
  return list(
    scopes.map((scope) => named[scope] ?? scope),
    lang,
  );
}

function summarySentence(diagnosis: Diagnosis, lang: Lang): string {
  const words = serverStrings(lang).status;
  switch (diagnosis.state) {
    case 'healthy':
      return words.healthy;
    case 'uninstalled':
      return words.uninstalled;
    case 'access_lost':
      return words.accessLost;
    case 'unreachable':
      return words.unreachable;
    case 'no_method':
      return words.noMethod;
    case 'scopes_missing':
      return words.scopesMissing.replace('{missing}', scopesInWords(diagnosis.missing, lang));
    case 'setup_missing': {
      const refused = diagnosis.refused.length > 0;
      const parts = list(
        (refused ? diagnosis.refused : diagnosis.missing).map((step) => partWords(step, lang)),
        lang,
      );
      return (refused ? words.setupRefused : words.setupMissing).replace('{parts}', parts);
    }
  }
}

/** The parts a repair sets up, each in words and whether Bitrix24 has it now. */
function setupParts(status: PortalStatus, lang: Lang) {
  const missing = missingSteps(status);
  return (['bot', 'events', 'placements'] as const).map((step) => ({
    step,
    name: partWords(step, lang),
    ok: !status.setup.unavailable && !missing.includes(step),
  }));
}

type PresentedCapabilities = ReturnType<typeof presentCapabilities>;

/** The capability lines that are in words; any other (a method or an event by name) is in codes. */
const wordedTerms = (lang: Lang) => {
  const words = serverStrings(lang).capabilities;
  return new Set([words.methodTerm, words.scopesTerm, words.dialogTerm, words.learntTerm]);
};

function statusRows(status: PortalStatus, diagnosis: Diagnosis, capabilities: PresentedCapabilities, lang: Lang) {
  const words = serverStrings(lang).status;
  const capabilityWords = serverStrings(lang).capabilities;
  const { setup, portal } = status;
  const unknown = setup.unavailable !== undefined;
  const lost = diagnosis.state === 'access_lost';
  const renewed = portal.lastRefreshOk && portal.lastRefreshAt;
  const rows: CapabilityRow[] = [
    { term: words.portalTerm, value: portal.domain, bad: false },
    { term: words.installedTerm, value: '{time}', bad: false, at: portal.installedAt.toISOString() },
    lost
      ? { term: words.accessTerm, value: words.accessLostValue, bad: true }
      : unknown
        ? { term: words.accessTerm, value: words.notKnown, bad: false }
        : renewed
          ? { term: words.accessTerm, value: words.accessRenewed, bad: false, at: renewed.toISOString() }
          : { term: words.accessTerm, value: words.accessWorks, bad: false },
    unknown
      ? { term: words.botTerm, value: words.notKnown, bad: false }
      : {
          term: words.botTerm,
          value: setup.bot.registered ? words.botReady : words.botMissing,
          bad: !setup.bot.registered,
        },
    unknown
      ? { term: words.eventsTerm, value: words.notKnown, bad: false }
      : setup.events.length
        ? { term: words.eventsTerm, value: words.eventsReady, bad: false }
        : { term: words.eventsTerm, value: words.eventsMissing, bad: true },
    unknown
      ? { term: words.placementsTerm, value: words.notKnown, bad: false }
      : setup.placements.length
        ? { term: words.placementsTerm, value: words.placementsReady, bad: false }
        : { term: words.placementsTerm, value: words.placementsMissing, bad: true },
  ];
  // What the app learnt of this Bitrix24, in words; the scopes named for what they let the app
  // do. A line in codes (a method or an event by name) is shown only when something is wrong.
  const worded = wordedTerms(lang);
  for (const row of capabilities.rows) {
    if (row.term === capabilityWords.scopesTerm) rows.push({ ...row, value: scopesRow(status, capabilities, lang) });
    else if (worded.has(row.term) || row.bad) rows.push(row);
  }
  return rows;
}

function scopesRow(status: PortalStatus, capabilities: PresentedCapabilities, lang: Lang): string {
  const words = serverStrings(lang).capabilities;
  const { missing, granted } = capabilities.scopes;
  if (missing.length) return words.scopesMissing.replace('{missing}', scopesInWords(missing, lang));
  if ((granted ?? status.portal.scope.split(/[\s,]+/).filter(Boolean)).length === 0) return words.scopesUnknown;
  return words.scopesAll.replace('{scopes}', scopesInWords(NEEDED_SCOPES, lang));
}

function statusDetails(status: PortalStatus, capabilities: PresentedCapabilities, lang: Lang): DetailRow[] {
  const words = serverStrings(lang).status;
  const { setup, portal } = status;
  const details: DetailRow[] = [
    { term: words.detailMemberId, value: portal.memberId },
    { term: words.detailScope, value: (capabilities.scopes.granted ?? portal.scope.split(/[\s,]+/)).join(', ') },
    { term: words.detailMethod, value: capabilities.changeMethod },
    { term: words.detailDialog, value: capabilities.dialogFields },
  ];
  if (setup.unavailable) details.push({ term: words.detailUnavailable, value: setup.unavailable.why });
  else {
    details.push({
      term: words.detailBot,
      value: `${setup.bot.name}${setup.bot.id ? ` #${setup.bot.id}` : ''} (${setup.bot.registered ? 'registered' : 'missing'})`,
    });
    details.push({
      term: words.detailEvents,
      value: setup.events.map((e) => `${e.event} → ${e.handler}`).join('\n') || '—',
    });
    details.push({
      term: words.detailPlacements,
      value: setup.placements.map((p) => `${p.placement} → ${p.handler}`).join('\n') || '—',
    });
  }
  if (portal.lastRefreshAt)
    details.push({
      term: words.detailRefresh,
      value: `{time}: ${portal.lastRefreshOk ? 'ok' : 'refused'}`,
      at: portal.lastRefreshAt.toISOString(),
    });
  for (const problem of status.problems)
    details.push({
      term: words.detailRefused,
      value: `{time}: ${problem.step}: ${problem.code}${problem.argument ? ` (${problem.argument})` : ''}${problem.description ? ` ${problem.description}` : ''}`,
      at: problem.at,
    });
  // The lines of what the app learnt that name methods or events, as they are.
  const worded = wordedTerms(lang);
  for (const row of capabilities.rows) if (!worded.has(row.term)) details.push({ term: row.term, value: row.value });
  return details;
}
