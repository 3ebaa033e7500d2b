import { Router, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { AppError } from '../../errors';
import type { BegunChange } from '../../chats/update-chat-avatar';
import type { AppRouteDeps } from '../route-deps';
import { presentChatAccess } from '../presenters/chat-access';
import type { createUploadGate } from '../middleware/upload-gate';
import { contextOf } from '../middleware/portal-context';
import { answerChange } from '../presenters/change-answer';
import { requestLang } from '../middleware/i18n';
import { parseChangeKey, parseChatId, parseChatListQuery, parseUploadFields } from '../schemas/chats';

/** A middleware's turn inside a handler: the upload is admitted and read only after `begin`. */
function run(middleware: (req: Request, res: Response, next: NextFunction) => void, req: Request, res: Response) {
  return new Promise<void>((resolve, reject) =>
    middleware(req, res, (error?: unknown) => (error ? reject(error) : resolve())),
  );
}

export function chatRoutes(deps: AppRouteDeps, uploadGate: ReturnType<typeof createUploadGate>): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const { portal, user } = contextOf(req);
    const page = await deps.chats.listChats(portal, user.id, parseChatListQuery(req.query));
    res.json(page);
  });

  // The per-portal size limit applies to the upload stream itself, before anything is decoded.
  const receiveUpload = (req: Request, res: Response, next: NextFunction) => {
    const upload = multer({
      storage: multer.memoryStorage(),
      limits: {
        fileSize: contextOf(req).settings.maxUploadBytes,
        files: 1,
        fields: 5,
        fieldSize: 1024,
        parts: 6,
        headerPairs: 20,
      },
    }).single('avatar');
    upload(req, res, next);
  };

  // Before the user chooses a file: the chat's look, whether the bot joins it first or cannot (then
  // who can add it, and the change as the user). A refusal is the same 403 as at Apply, naming
  // who can change the chat, with the chat's look in its fields.
  router.get('/:chatId/access', async (req, res) => {
    const { portal, user } = contextOf(req);
    const access = await deps.chatAccess(portal, user.id, parseChatId(req.params.chatId));
    res.json(presentChatAccess(access, requestLang(req)));
  });

  // A page that lost its chat posts to /api/chats//avatar: say so instead of a bare 404.
  router.post(['/avatar', '//avatar'], (req) => {
    req.resume();
    throw new AppError('INVALID_CHAT_ID', { detail: 'no chat id in the path' });
  });

  // Who may change the chat is settled before the upload is admitted or read, and a retry of an
  // Apply that already reached Bitrix24 is answered with the first result (the use case's
  // `begin`). The connection is closed after such an early answer so the unread body is not drained.
  router.post('/:chatId/avatar', async (req, res) => {
    const { portal, user, settings } = contextOf(req);
    let change: BegunChange;
    try {
      change = await deps.chatAvatarChanges.begin({
        portal,
        user: { id: user.id, name: user.name },
        chatId: parseChatId(req.params.chatId),
        changeKey: parseChangeKey(req.get('idempotency-key')),
      });
    } catch (error) {
      res.set('Connection', 'close');
      throw error;
    }
    if (change.replayed) {
      res.set({ Connection: 'close', 'Idempotent-Replayed': 'true' });
      answerChange(res, change.replayed);
      return;
    }
    await run(uploadGate, req, res);
    await run(receiveUpload, req, res);
    const file = req.file;
    if (!file || file.size === 0)
      throw new AppError(file ? 'UNSUPPORTED_IMAGE' : 'NO_FILE', { detail: file ? 'empty file' : 'no avatar part' });
    const { crop, upload, side, way, origin } = parseUploadFields(req.body);
    answerChange(
      res,
      await change.apply({
        image: file.buffer,
        crop,
        settings,
        upload,
        renderedSide: side,
        signal: req.uploadSignal,
        way,
        origin,
      }),
    );
  });

  return router;
}
