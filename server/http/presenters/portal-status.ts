import type { Lang } from '../../lang';
import type { PortalStatus } from '../../portal/portal-status';
import { presentCapabilities } from './capabilities';

/** The Status tab's answer: the portal's record, its setup, and what its Bitrix24 supports in the reader's words. */
export const presentPortalStatus = (status: PortalStatus, lang: Lang) => ({
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
  // Which Bitrix24 this is: the avatar method, the scopes, im.dialog.get's fields; in words.
  capabilities: presentCapabilities(status.capabilities, status.portal.scope, lang),
});
