import type { Store } from '../store/store';

const DAY_MS = 86_400_000;

/**
 * Deletes the request log's entries older than `days` (REQUEST_LOG_DAYS) at `now`, of every
 * portal; answers how many. Every instance runs it at start and then daily: the DELETE is the
 * same whoever runs it. Days 0 keeps none, so turning the log off also removes what it kept.
 */
export function pruneRequestLog(deps: {
  store: Pick<Store, 'requestLog'>;
  days: number;
  now?: () => Date;
}): Promise<number> {
  const now = (deps.now ?? (() => new Date()))();
  return deps.store.requestLog.prune(new Date(now.getTime() - deps.days * DAY_MS));
}
