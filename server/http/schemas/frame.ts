import { z } from 'zod';
import { jsonText, MEMBER_ID, parseInput, TOKEN } from './parse-input';

// What the portal posts into the app's iframe, at install and at each opening
// (settings/oauth/simple-way.md; docs/bitrix24-behaviours.md says where such pages are): the
// body carries AUTH_ID, REFRESH_ID, member_id, …; the query string carries DOMAIN, LANG,
// APP_SID. DOMAIN is read by nobody: the portal is identified by member_id and verified through
// its stored endpoint.

export interface FrameForm {
  memberId: string;
  authId: string;
  refreshId: string | null;
  authExpires: number | null;
  applicationToken: string | null;
  placement: string;
  placementOptions: Record<string, unknown>;
}

/** A form field the portal may leave out or send empty. */
const absentIfEmpty = (value: unknown) => (value === '' ? undefined : value);

const placementOptions = jsonText(4096).pipe(z.record(z.string(), z.unknown()));

const frameFormSchema = z
  .object({
    member_id: z.string().regex(MEMBER_ID),
    AUTH_ID: z.string().regex(TOKEN),
    // Required at install (routes/frame.ts says so), optional when a user opens the app; a
    // malformed one is refused rather than ignored.
    REFRESH_ID: z.preprocess(absentIfEmpty, z.string().regex(TOKEN).optional()),
    AUTH_EXPIRES: z.preprocess(absentIfEmpty, z.coerce.number().int().positive().optional()).catch(undefined),
    APPLICATION_TOKEN: z.preprocess(absentIfEmpty, z.string().regex(TOKEN).optional()).catch(undefined),
    PLACEMENT: z.string().min(1).max(100).catch('DEFAULT'),
    // A placement without readable options opens the app without a preselected chat.
    PLACEMENT_OPTIONS: placementOptions.catch({}),
  })
  .transform((form): FrameForm => ({
    memberId: form.member_id,
    authId: form.AUTH_ID,
    refreshId: form.REFRESH_ID ?? null,
    authExpires: form.AUTH_EXPIRES ?? null,
    applicationToken: form.APPLICATION_TOKEN ?? null,
    placement: form.PLACEMENT,
    placementOptions: form.PLACEMENT_OPTIONS,
  }));

/** The iframe's form post; without a well-formed member_id and AUTH_ID the caller is not authenticated. */
export function parseFrameForm(body: unknown): FrameForm {
  return parseInput(frameFormSchema, body ?? {}, 'NOT_AUTHENTICATED');
}

const sidebarDialog = z.object({ dialogId: z.string().regex(/^chat\d{1,10}$/) });

/** IM_SIDEBAR passes `dialogId`: `chatNNN` for a group chat (widgets/im/sidebar.md). */
export function chatIdFromPlacement(options: Record<string, unknown>): number | null {
  const parsed = sidebarDialog.safeParse(options);
  return parsed.success ? Number(parsed.data.dialogId.slice('chat'.length)) : null;
}
