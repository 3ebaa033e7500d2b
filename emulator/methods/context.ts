import type { PortalState, User } from '../state';

export interface MethodContext {
  portal: PortalState;
  user: User;
  /** The calling application: the token's client id (api-reference/chat-bots/.../bot-context.md). */
  clientId: string;
  params: Record<string, unknown>;
  baseUrl: string;
}

/** A list method's answer: the page plus `next` and `total` at the top level of the JSON. */
export interface ListAnswer {
  result: unknown;
  next?: number;
  total?: number;
}

export type Method = (ctx: MethodContext) => unknown;

export const text = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '');
export const int = (value: unknown): number => {
  const n = typeof value === 'number' ? value : Number(text(value));
  return Number.isInteger(n) ? n : 0;
};
export const yes = (value: unknown): boolean => value === true || value === 'Y' || value === 'y' || value === '1' || value === 1;

/** Without a client id in the auth, CLIENT_ID is used as `custom{CLIENT_ID}` (seed page). */
export function callingApp(ctx: MethodContext): string {
  if (ctx.clientId) return ctx.clientId;
  const custom = text(ctx.params.CLIENT_ID);
  return custom ? `custom${custom}` : '';
}
