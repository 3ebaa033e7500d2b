import type { Request } from 'express';
import { AppError } from '../errors';

// What the portal posts into the app's iframe (settings/oauth/simple-way.md): the body carries
// AUTH_ID, REFRESH_ID, member_id, …; the query string carries DOMAIN, LANG, APP_SID. DOMAIN is
// read by nobody: the portal is identified by member_id and verified via its stored endpoint.

export interface FrameForm {
  memberId: string;
  authId: string;
  refreshId: string | null;
  authExpires: number | null;
  applicationToken: string | null;
  placement: string;
  placementOptions: Record<string, unknown>;
}

const TOKEN = /^[A-Za-z0-9._-]{8,512}$/;
const MEMBER_ID = /^[A-Za-z0-9_-]{1,64}$/;

function field(body: Record<string, unknown>, name: string): string | null {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

export function parseFrameForm(req: Request): FrameForm {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const memberId = field(body, 'member_id');
  const authId = field(body, 'AUTH_ID');
  const refreshId = field(body, 'REFRESH_ID');
  if (!memberId || !MEMBER_ID.test(memberId) || !authId || !TOKEN.test(authId) || (refreshId !== null && !TOKEN.test(refreshId))) {
    throw new AppError('NOT_AUTHENTICATED', { detail: 'frame form lacks member_id or AUTH_ID' });
  }
  const applicationToken = field(body, 'APPLICATION_TOKEN');
  const expires = Number(field(body, 'AUTH_EXPIRES'));
  let placementOptions: Record<string, unknown> = {};
  const rawOptions = field(body, 'PLACEMENT_OPTIONS');
  if (rawOptions && rawOptions.length <= 4096) {
    try {
      const parsed: unknown = JSON.parse(rawOptions);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) placementOptions = parsed as Record<string, unknown>;
    } catch {
      // A placement without readable options opens the app without a preselected chat.
    }
  }
  return {
    memberId,
    authId,
    refreshId,
    authExpires: Number.isInteger(expires) && expires > 0 ? expires : null,
    applicationToken: applicationToken && TOKEN.test(applicationToken) ? applicationToken : null,
    placement: field(body, 'PLACEMENT') ?? 'DEFAULT',
    placementOptions,
  };
}

/** IM_SIDEBAR passes `dialogId`: `chatNNN` for a group chat (widgets/im/sidebar.md). */
export function chatIdFromPlacement(options: Record<string, unknown>): number | null {
  const dialogId = options.dialogId;
  if (typeof dialogId !== 'string') return null;
  const match = /^chat(\d{1,10})$/.exec(dialogId);
  return match ? Number(match[1]) : null;
}
