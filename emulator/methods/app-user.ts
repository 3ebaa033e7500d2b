import { RestError } from '../errors';
import { fullName, type User } from '../state';
import { int, type Method } from './context';

const presentUser = (user: User) => ({
  ID: String(user.id),
  ACTIVE: true,
  NAME: user.name,
  LAST_NAME: user.lastName,
  EMAIL: user.email,
  PERSONAL_PHOTO: '',
  WORK_POSITION: user.admin ? 'Administrator' : 'Manager',
  IS_ONLINE: 'Y',
});

export const appUserMethods: Record<string, Method> = {
  'app.info': (ctx) => ({ ID: 1, CODE: ctx.clientId, VERSION: 1, STATUS: 'L', INSTALLED: ctx.portal.installed, PAYMENT_EXPIRED: 'N', DAYS: null, LANGUAGE_ID: 'en', LICENSE: 'en_project', LICENSE_TYPE: 'project', LICENSE_FAMILY: 'project' }),
  scope: () => ['imbot', 'im', 'placement', 'user_brief'],
  'server.time': () => new Date().toISOString(),
  'user.current': (ctx) => presentUser(ctx.user),
  'user.admin': (ctx) => ctx.user.admin,
  profile: (ctx) => ({ ID: String(ctx.user.id), ADMIN: ctx.user.admin, NAME: ctx.user.name, LAST_NAME: ctx.user.lastName, PERSONAL_GENDER: '', TIME_ZONE: '' }),
  'user.get': (ctx) => {
    const filter = (ctx.params.FILTER ?? ctx.params.filter ?? {}) as Record<string, unknown>;
    const id = int(filter.ID ?? ctx.params.ID);
    const users = [...ctx.portal.users.values()].filter((u) => !id || u.id === id);
    return { result: users.map(presentUser), total: users.length };
  },
  'user.name': (ctx) => {
    const user = ctx.portal.users.get(int(ctx.params.ID));
    if (!user) throw new RestError('USER_NOT_FOUND', 'User not found');
    return fullName(user);
  },
};
