import { Router, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { AppError } from '../../errors';
import type { AvatarChanged, ChangePending } from '../../chats/update-chat-avatar';
import type { AppRouteDeps } from '../route-deps';
import { presentChatAccess } from '../presenters/chat-access';
import type { createUploadGate } from '../middleware/upload-gate';
import { parseChangeKey, parseChatId, parseChatListQuery, parseUploadFields } from '../schemas/chats';

declare module 'express-serve-static-core' {
  interface Request {
    /** The Apply's Idempotency-Key, once the retry check has let the request through. */
    changeKey?: string;
  }
}

export function chatRoutes(deps: AppRouteDeps, uploadGate: ReturnType<typeof createUploadGate>): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const page = await deps.chats.listChats(req.portal!, req.auth!.userId, parseChatListQuery(req.query));
    res.json(page);
  });

  // The per-portal size limit applies to the upload stream itself, before anything is decoded.
  const receiveUpload = (req: Request, res: Response, next: NextFunction) => {
    const upload = multer({
      storage: multer.memoryStorage(),
      limits: {
        fileSize: req.portalSettings!.maxUploadBytes,
        files: 1,
        fields: 4,
        fieldSize: 1024,
        parts: 6,
        headerPairs: 20,
      },
    }).single('avatar');
    upload(req, res, next);
  };

  // Before Apply: may the user change this chat, will the bot join it first, or can it not
  // (then who can add it, and the change as the user). A refusal is the same 403 as at Apply.
  router.get('/:chatId/access', async (req, res) => {
    const access = await deps.chatAccess(req.portal!, req.auth!.userId, parseChatId(req.params.chatId));
    res.json(presentChatAccess(access));
  });

  // A page that lost its chat posts to /api/chats//avatar: say so instead of a bare 404.
  router.post(['/avatar', '//avatar'], (req) => {
    req.resume();
    throw new AppError('INVALID_CHAT_ID', { detail: 'no chat id in the path' });
  });

  // Who may change the chat is settled before the upload is admitted or read: a made-up or
  // forbidden chat costs one REST call, never a decode. So is a retry of an Apply that already
  // reached Bitrix24: it is answered with the first result and not sent again. The connection
  // is closed after such an early answer so the unread body is not drained.
  const authorizeChat = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const who = {
        portal: req.portal!,
        user: { id: req.auth!.userId, name: req.auth!.name ?? null },
        chatId: parseChatId(req.params.chatId),
      };
      const changeKey = parseChangeKey(req.get('idempotency-key'));
      await deps.authorizeChatChange(who);
      const replayed = changeKey ? await deps.replayChatChange({ ...who, changeKey }) : null;
      if (replayed) {
        res.set({ Connection: 'close', 'Idempotent-Replayed': 'true' });
        answerChange(res, replayed);
        return;
      }
      req.changeKey = changeKey;
    } catch (error) {
      res.set('Connection', 'close');
      throw error;
    }
    next();
  };

  router.post('/:chatId/avatar', authorizeChat, uploadGate, receiveUpload, async (req, res) => {
    const file = req.file;
    if (!file || file.size === 0)
      throw new AppError(file ? 'UNSUPPORTED_IMAGE' : 'NO_FILE', { detail: file ? 'empty file' : 'no avatar part' });
    const { crop, upload, side, way } = parseUploadFields(req.body);
    // The page renders its crop at twice the output side it was opened with. An administrator
    // who has since made the avatar more than twice as large would get it upscaled: the page is
    // told the new side and renders again (nothing is audited: no change was tried).
    const outputSide = req.portalSettings!.outputSide;
    if (upload === 'cropped' && side !== undefined && 2 * side < outputSide)
      throw new AppError('OUTPUT_SIDE_CHANGED', {
        detail: `rendered for ${side} px, the avatar is ${outputSide} px`,
        fields: { outputSide: String(outputSide) },
      });
    const result = await deps.updateChatAvatar({
      portal: req.portal!,
      user: { id: req.auth!.userId, name: req.auth!.name ?? null },
      chatId: parseChatId(req.params.chatId),
      image: file.buffer,
      crop,
      settings: req.portalSettings!,
      upload,
      signal: req.uploadSignal,
      changeKey: req.changeKey,
      way,
    });
    answerChange(res, result);
  });

  return router;
}

/**
 * 200 with the change; 202 while the app finds out whether a change whose answer never came was
 * made (the page asks again with the same key after Retry-After).
 */
function answerChange(res: Response, result: AvatarChanged | ChangePending) {
  if ('pending' in result) {
    res
      .status(202)
      .set('Retry-After', String(result.retryAfterSeconds))
      .json({ ok: false, ...result });
    return;
  }
  res.json({ ok: true, ...result });
}
