import type { Store } from '../store/store';

// One portal's request log for a period, for the operator of the app's deployment (never a portal
// user): what Bitrix24's support asks for, "logs of specific HTTP requests (with all used
// parameters)" (market/preparing-to-publish/publication-requirements.md). JSON Lines, oldest first,
// one request and its answer a line, read from the database a page at a time: `npm run
// request-log` and GET /request-log (its own bearer token) both write it.

export interface RequestLogQuery {
  /** The portal's member_id, or its address as the app keeps it (`yourcompany.bitrix24.com`). */
  portal: string;
  from: Date;
  to: Date;
}

export interface RequestLogExport {
  /** Writes each entry as one line of JSON (with its newline); answers how many it wrote. */
  (query: RequestLogQuery, write: (line: string) => void | Promise<void>): Promise<number>;
}

const PAGE = 500;

export function createRequestLogExport(deps: {
  store: Pick<Store, 'findPortalByMemberId' | 'findPortalByDomain' | 'requestLog'>;
  /** Writes what the request log still holds in memory, so that the export ends at now. */
  flush?: () => Promise<void>;
}): RequestLogExport {
  const memberIdOf = async (portal: string): Promise<string> => {
    const found =
      (await deps.store.findPortalByMemberId(portal)) ?? (await deps.store.findPortalByDomain(portal.toLowerCase()));
    // A portal whose row is gone may still have entries under its member_id until they are pruned.
    return found?.memberId ?? portal;
  };
  return async (query, write) => {
    await deps.flush?.();
    const memberId = await memberIdOf(query.portal);
    let after = 0;
    let count = 0;
    for (;;) {
      const page = await deps.store.requestLog.page(memberId, { from: query.from, to: query.to }, after, PAGE);
      for (const entry of page) {
        await write(
          `${JSON.stringify({
            id: entry.id,
            at: entry.at.toISOString(),
            memberId: entry.memberId,
            userId: entry.userId,
            target: entry.target,
            method: entry.method,
            status: entry.status,
            outcome: entry.outcome,
            ms: entry.ms,
            request: JSON.parse(entry.request) as unknown,
            answer: entry.answer === null ? null : (JSON.parse(entry.answer) as unknown),
          })}\n`,
        );
      }
      count += page.length;
      if (page.length < PAGE) return count;
      after = page[page.length - 1]!.id;
    }
  };
}
