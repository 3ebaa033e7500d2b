import { z } from 'zod';
import { toAppError } from '../bitrix24/error-mapping';
import type { PortalClients } from '../bitrix24/portal-clients';
import type { Portal } from '../store/store';

// The access list names users, not ids: an administrator finds them by name with Bitrix24's
// user.search (api-reference/user/user-search.md: FIND matches the start of the first, last or
// middle name, the job title or the department), asked with the administrator's own token, so
// Bitrix24 shows them exactly the users it would show them anywhere else.

export interface DirectoryUser {
  id: number;
  name: string;
  position: string;
}

export interface UserDirectory {
  search(portal: Portal, asUserId: number, text: string): Promise<DirectoryUser[]>;
  /** The users of an access list, by id, to show them by name; ids Bitrix24 no longer knows are left out. */
  byIds(portal: Portal, asUserId: number, ids: number[]): Promise<DirectoryUser[]>;
}

/** One page of user.search is 50; more than that is a query to refine, not a list to scroll. */
const MAX_RESULTS = 20;

const userRecord = z.object({
  ID: z.coerce.number().int().positive(),
  NAME: z.string().nullish(),
  LAST_NAME: z.string().nullish(),
  SECOND_NAME: z.string().nullish(),
  WORK_POSITION: z.string().nullish(),
  EMAIL: z.string().nullish(),
});

function present(raw: unknown): DirectoryUser | null {
  const parsed = userRecord.safeParse(raw);
  if (!parsed.success) return null;
  const u = parsed.data;
  // A user invited by e-mail who never filled in a name has only the address.
  const name = [u.NAME, u.LAST_NAME].filter(Boolean).join(' ').trim() || u.EMAIL || `#${u.ID}`;
  return { id: u.ID, name, position: u.WORK_POSITION ?? '' };
}

export function createUserDirectory(deps: { clients: PortalClients }): UserDirectory {
  const ask = async (portal: Portal, asUserId: number, method: string, filter: Record<string, unknown>) => {
    let answer: unknown;
    try {
      const rest = await deps.clients.forOwner(portal, asUserId);
      answer = await rest.call<unknown>(method, { FILTER: filter });
    } catch (error) {
      throw toAppError(error);
    }
    return (Array.isArray(answer) ? answer : []).map(present).filter((u): u is DirectoryUser => u !== null);
  };
  return {
    async search(portal, asUserId, text) {
      return (await ask(portal, asUserId, 'user.search', { FIND: text, ACTIVE: true })).slice(0, MAX_RESULTS);
    },
    async byIds(portal, asUserId, ids) {
      const byId = new Map<number, DirectoryUser>();
      // user.get answers 50 users a page: ask 50 ids at a time.
      for (let at = 0; at < ids.length; at += 50) {
        for (const user of await ask(portal, asUserId, 'user.get', { ID: ids.slice(at, at + 50) }))
          byId.set(user.id, user);
      }
      return ids.map((id) => byId.get(id)).filter((u): u is DirectoryUser => u !== undefined);
    },
  };
}
