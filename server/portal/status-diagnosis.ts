import { CURRENT_CHANGE_METHOD, DEPRECATED_CHANGE_METHOD, missingScopes } from './portal-capabilities';
import type { PortalStatus } from './portal-status';
import type { SetupStep } from './portal-setup';

/**
 * What is wrong with a portal's install, the one thing that matters most, and which of the
 * Status tab's repairs can help with it (none, when only the administrator or Bitrix24 can).
 */
export type Diagnosis =
  | { state: 'healthy'; repairs: [] }
  | { state: 'uninstalled'; repairs: [] }
  /** The portal's tokens are refused: no repair can ask Bitrix24 anything. */
  | { state: 'access_lost'; repairs: [] }
  /** Bitrix24 did not answer, or was busy: nothing is known, and a repair would meet the same. */
  | { state: 'unreachable'; why: string; repairs: [] }
  /** This Bitrix24 has neither bot method that changes a chat's avatar. */
  | { state: 'no_method'; repairs: [] }
  /** The install did not grant scopes the app needs: only a reinstall asks for them again. */
  | { state: 'scopes_missing'; missing: string[]; repairs: [] }
  /** Parts of the setup are missing; `refused` when Bitrix24 refused one when last asked. */
  | { state: 'setup_missing'; missing: SetupStep[]; refused: SetupStep[]; repairs: Repair[] };

export type Repair = 'bot' | 'bindings';

/** Codes that mean the app's stored access is refused, whichever step met them. */
const ACCESS_LOST = new Set([
  'PORTAL_AUTH_LOST',
  'NOT_AUTHENTICATED',
  'invalid_grant',
  'expired_token',
  'invalid_token',
]);

/** The setup steps Bitrix24 shows missing now (a refusal recorded for a step that is now fine is old news). */
export function missingSteps(status: PortalStatus): SetupStep[] {
  const { setup } = status;
  if (setup.unavailable) return [];
  return [
    ...(setup.bot.registered ? [] : (['bot'] as const)),
    ...(setup.events.length ? [] : (['events'] as const)),
    ...(setup.placements.length ? [] : (['placements'] as const)),
  ];
}

export function diagnose(status: PortalStatus): Diagnosis {
  if (status.portal.state !== 'installed') return { state: 'uninstalled', repairs: [] };
  const { unavailable } = status.setup;
  if (unavailable && ACCESS_LOST.has(unavailable.why)) return { state: 'access_lost', repairs: [] };
  // A step refused for the stored access, even when the look just now was answered otherwise.
  if (status.problems.some((problem) => ACCESS_LOST.has(problem.code) && missingSteps(status).includes(problem.step)))
    return { state: 'access_lost', repairs: [] };
  // What was learnt of this Bitrix24 before: a missing scope also explains a look refused now.
  const methods = status.capabilities?.methods ?? {};
  if (methods[CURRENT_CHANGE_METHOD]?.isExisting === false && methods[DEPRECATED_CHANGE_METHOD]?.isExisting === false)
    return { state: 'no_method', repairs: [] };
  const missing = missingScopes(status.capabilities?.scopes ?? null);
  if (missing.length) return { state: 'scopes_missing', missing, repairs: [] };
  if (unavailable) return { state: 'unreachable', why: unavailable.why, repairs: [] };
  const steps = missingSteps(status);
  if (!steps.length) return { state: 'healthy', repairs: [] };
  const refused = steps.filter((step) => status.problems.some((problem) => problem.step === step));
  const repairs: Repair[] = [
    ...(steps.includes('bot') ? (['bot'] as const) : []),
    ...(steps.includes('events') || steps.includes('placements') ? (['bindings'] as const) : []),
  ];
  return { state: 'setup_missing', missing: steps, refused, repairs };
}
