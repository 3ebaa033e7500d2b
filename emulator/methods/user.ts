import { RestError } from '../errors';
import { fullName, type User } from '../state';
import { int, param, type ListAnswer, type MethodContext, type MethodFamily } from './context';

// api-reference/common/users/{user-admin,profile}.md (basic scope) and user.current /
// user.get / user.search (user_brief, user_basic or user; api-reference/user/user-search.md).

const presentUser = (user: User) => ({
  ID: String(user.id),
  ACTIVE: true,
  NAME: user.name,
  LAST_NAME: user.lastName,
  SECOND_NAME: '',
  EMAIL: user.email,
  PERSONAL_GENDER: '',
  PERSONAL_PHOTO: '',
  WORK_POSITION: user.admin ? 'Administrator' : 'Manager',
  IS_ONLINE: 'Y',
  UF_DEPARTMENT: [1],
  USER_TYPE: 'employee',
});

export const profileMethods: MethodFamily = {
  scope: 'basic',
  methods: {
    'user.admin': (ctx) => ctx.user.admin,
    profile: (ctx) => ({
      ID: String(ctx.user.id),
      ADMIN: ctx.user.admin,
      NAME: ctx.user.name,
      LAST_NAME: ctx.user.lastName,
      PERSONAL_GENDER: '',
      TIME_ZONE: '',
    }),
  },
};

const PAGE = 50;

const page = (ctx: MethodContext, users: User[]): ListAnswer => {
  const start = Math.max(0, int(param(ctx.params, 'start')));
  const answer: ListAnswer = { result: users.slice(start, start + PAGE).map(presentUser), total: users.length };
  if (start + PAGE < users.length) answer.next = start + PAGE;
  return answer;
};

const words = (value: string) => value.toLowerCase().split(/\s+/).filter(Boolean);

/**
 * user.search's FIND: "applied simultaneously to the first name, last name, middle name, job
 * title, and department name", a beginning-of-string match (`LIKE "Text%"`): here each word
 * typed must begin some word of those fields.
 */
function found(user: User, find: string): boolean {
  const fields = words([user.name, user.lastName, user.admin ? 'Administrator' : 'Manager'].join(' '));
  return words(find).every((typed) => fields.some((word) => word.startsWith(typed)));
}

const startsWith = (value: string, filter: unknown) =>
  typeof filter !== 'string' || value.toLowerCase().startsWith(filter.toLowerCase());

export const userMethods: MethodFamily = {
  scope: ['user_brief', 'user_basic', 'user'],
  methods: {
    'user.current': (ctx) => presentUser(ctx.user),
    // user.get: FILTER (or top-level fields) on ID, NAME, LAST_NAME, ACTIVE; pages of 50 by `start`.
    'user.get': (ctx): ListAnswer => {
      const filter = (param(ctx.params, 'FILTER') ?? ctx.params) as Record<string, unknown>;
      const ids = ([] as unknown[])
        .concat(param(filter, 'ID') ?? [])
        .map(int)
        .filter((id) => id > 0);
      const name = param(filter, 'NAME');
      const lastName = param(filter, 'LAST_NAME');
      const users = [...ctx.portal.users.values()]
        .filter((u) => ids.length === 0 || ids.includes(u.id))
        .filter((u) => typeof name !== 'string' || u.name === name)
        .filter((u) => typeof lastName !== 'string' || u.lastName === lastName);
      return page(ctx, users);
    },
    // user.search: user.get's parameters, and FILTER.FIND across the personal fields, or
    // NAME, LAST_NAME, WORK_POSITION each matched from the beginning. Its page lists no error
    // of its own, so none is invented here.
    'user.search': (ctx): ListAnswer => {
      const filter = (param(ctx.params, 'FILTER') ?? {}) as Record<string, unknown>;
      const find = param(filter, 'FIND');
      const ids = ([] as unknown[])
        .concat(param(filter, 'ID') ?? [])
        .map(int)
        .filter((id) => id > 0);
      const users = [...ctx.portal.users.values()]
        .filter((u) => ids.length === 0 || ids.includes(u.id))
        .filter((u) => typeof find !== 'string' || found(u, find))
        .filter((u) => startsWith(u.name, param(filter, 'NAME')) && startsWith(u.lastName, param(filter, 'LAST_NAME')))
        .filter((u) => startsWith(u.admin ? 'Administrator' : 'Manager', param(filter, 'WORK_POSITION')));
      return page(ctx, users);
    },
    'user.name': (ctx) => {
      const user = ctx.portal.users.get(int(param(ctx.params, 'ID')));
      if (!user) throw new RestError('USER_NOT_FOUND', 'User not found');
      return fullName(user);
    },
  },
};
