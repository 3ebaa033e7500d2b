import type { PortalProfile, PortalState } from '../state';

// Which methods a portal has depends on its Bitrix24 (state.ts PortalProfile): the imbot.v2
// family (api-reference/chat-bots/chat-bots-v2/) is only on current cloud portals. A method a
// portal lacks answers ERROR_METHOD_NOT_FOUND, as any unknown method does (portal-rest.ts), and
// method.get says isExisting false (api-reference/common/system/method-get.md).

const V2_PREFIX = 'imbot.v2.';

export function methodExists(profile: PortalProfile, name: string): boolean {
  if (name.toLowerCase().startsWith(V2_PREFIX.toLowerCase())) return profile === 'cloud';
  return true;
}

/** Whether this portal has the method: its profile's, less what a test took away (an on-premise portal without it). */
export function portalHasMethod(portal: Pick<PortalState, 'profile' | 'absent'>, name: string): boolean {
  return methodExists(portal.profile, name) && !portal.absent.has(name.toLowerCase());
}
