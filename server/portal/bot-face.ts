import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The bot's face: the app's icon at 256 px, rendered from assets/app-icon.svg (`npm run icons`). */
export const BOT_FACE_PATH = join(__dirname, '..', '..', 'assets', 'bot-avatar.png');

/**
 * The face as imbot.register and imbot.update take PROPERTIES[PERSONAL_PHOTO]: "Avatar of the
 * chat-bot in Base64", at most 5000x5000 (chat-bots/outdated/bots/imbot-register.md,
 * imbot-update.md), the bare string without a `data:` prefix (api-reference/files/how-to-upload-files.md).
 */
export function readBotFace(path = BOT_FACE_PATH): string {
  return readFileSync(path).toString('base64');
}
