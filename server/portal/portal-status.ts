import type { Logger } from 'pino';
import type { Lang } from '../lang';
import { toAppError } from '../bitrix24/error-mapping';
import type { LearntCapabilities, Portal, SetupProblem, Store } from '../store/store';
import type { PortalCapabilities } from './portal-capabilities';
import type { PortalSetup, SetupStatus } from './portal-setup';
import { AppError } from '../errors';

/** What the Status tab shows of one portal: its record, its setup as Bitrix24 has it, what it supports. */
export interface PortalStatus {
  portal: Portal;
  /** Steps Bitrix24 refused at install or at the last repair, with its own code and argument. */
  problems: SetupProblem[];
  /**
   * `unavailable` when Bitrix24 could not be asked: nothing is then known to be bound; `why` is
   * the app's code for it (PORTAL_AUTH_LOST: the portal's tokens are refused; BITRIX24_UNAVAILABLE …).
   */
  setup: SetupStatus & { unavailable?: { why: string } };
  /** Which Bitrix24 this is; null when it could not be asked. */
  capabilities: LearntCapabilities | null;
}

export interface PortalAdministration {
  status(portal: Portal): Promise<PortalStatus>;
  /** Registers the bot again (named in the repairing administrator's language); then the status. */
  repairBot(portal: Portal, lang: Lang): Promise<PortalStatus>;
  /** Binds the events and placements again; both run (and are recorded) even when the first is refused. */
  rebindEvents(portal: Portal, lang: Lang): Promise<PortalStatus>;
}

/** The administrator's Status tab and its two Repair buttons, for one portal. */
export function createPortalAdministration(deps: {
  store: Pick<Store, 'findPortalByMemberId'>;
  setup: PortalSetup;
  capabilities: Pick<PortalCapabilities, 'learn' | 'learnt'>;
  log: Logger;
}): PortalAdministration {
  // A portal installed before the app learnt anything (or whose learning failed) is asked now,
  // once per look at the Status tab.
  const learnt = async (portal: Portal) => {
    const known = await deps.capabilities.learnt(portal);
    if (known) return known;
    return deps.capabilities.learn(portal).catch((error: unknown) => {
      deps.log.warn({ memberId: portal.memberId, err: error }, 'portal capabilities lookup failed');
      return null;
    });
  };

  const status = async (portal: Portal): Promise<PortalStatus> => {
    const fresh = (await deps.store.findPortalByMemberId(portal.memberId)) ?? portal;
    let setup: PortalStatus['setup'];
    try {
      setup = await deps.setup.describe(fresh);
    } catch (error) {
      deps.log.warn({ memberId: portal.memberId, err: error }, 'portal status lookup failed');
      setup = {
        bot: { id: fresh.botId, name: 'Chat Avatar', registered: false },
        events: [],
        placements: [],
        unavailable: { why: unavailableCode(error) },
      };
    }
    return { portal: fresh, problems: fresh.setupProblems, setup, capabilities: await learnt(fresh) };
  };

  // Each repair also asks again which Bitrix24 this is (a portal updated since, a scope added):
  // first, so that its answer is in the status the repair answers with, even when the repair is refused.
  const repair = async (portal: Portal, work: () => Promise<unknown>) => {
    await deps.capabilities.learn(portal).catch((error: unknown) => {
      deps.log.warn({ memberId: portal.memberId, err: error }, 'portal capabilities not learnt on repair');
    });
    try {
      await work();
    } catch (error) {
      throw toAppError(error);
    }
    return status(portal);
  };

  return {
    status,
    repairBot: (portal, lang) => repair(portal, () => deps.setup.runStep(portal, 'bot', lang)),
    rebindEvents: (portal, lang) =>
      repair(portal, async () => {
        const problems = (await deps.setup.runAll(portal, lang)).filter((p) => p.step !== 'bot');
        if (problems.length > 0)
          throw new AppError('SETUP_REFUSED', {
            detail: problems.map((p) => `${p.step}: ${p.code}${p.argument ? ` (${p.argument})` : ''}`).join('; '),
          });
      }),
  };
}

/** Why Bitrix24 could not be asked, as the app's code (never Bitrix24's text, which stays in the log). */
function unavailableCode(error: unknown): string {
  const mapped = toAppError(error);
  return mapped instanceof AppError ? mapped.code : 'INTERNAL';
}
