import { z } from 'zod';

// Which application a token was issued to. Every application of a portal gets tokens of the same
// shape for the same users, and the portal accepts each of them for any method its scopes allow:
// a token of another application, an administrator's, would otherwise open this one as that
// administrator. Nothing the OAuth server answers names the application (settings/oauth/index.md
// and auto-renewal.md list the fields of a grant: no client_id), but `app.info` does, for the
// token it is called with (api-reference/common/system/app-info.md): `CODE`, the "application
// code", which is what the OAuth pages call the client_id ("the application code from the partner
// area or from the local application form"). It is a basic-scope method any user may call, so it
// rides in the batch the app already sends when a token is presented (user-auth.ts, install.ts)
// and costs no request of its own.

/** The command to add to a batch: its answer under `APP_INFO_KEY`. */
export const APP_INFO_KEY = 'app';
export const APP_INFO_COMMAND = 'app.info';

const appInfoSchema = z.object({ CODE: z.string().min(1) });

/** The application code app.info answered, or null when the answer is missing or unreadable. */
export function applicationCodeOf(answer: unknown): string | null {
  const parsed = appInfoSchema.safeParse(answer);
  return parsed.success ? parsed.data.CODE : null;
}

/** Whether app.info's answer names this application (B24_CLIENT_ID). Anything unreadable does not. */
export function isIssuedToThisApp(answer: unknown, clientId: string): boolean {
  return applicationCodeOf(answer) === clientId;
}
