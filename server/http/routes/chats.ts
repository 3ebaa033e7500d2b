import { Router, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { AppError } from '../../errors';
import type { CropRect } from '../../avatar/avatar-pipeline';
import type { AppRouteDeps } from '../route-deps';
import type { createUploadGate } from '../middleware/upload-gate';

const CHAT_ID = /^[1-9]\d{0,9}$/;

export function chatRoutes(deps: AppRouteDeps, uploadGate: ReturnType<typeof createUploadGate>): Router {
  const router = Router();

  router.get('/api/chats', async (req, res) => {
    const search = typeof req.query.search === 'string' ? req.query.search.trim().slice(0, 100) : '';
    const cursorRaw = typeof req.query.cursor === 'string' ? req.query.cursor : '0';
    if (!/^\d{1,6}$/.test(cursorRaw)) throw new AppError('BAD_REQUEST', { detail: 'cursor' });
    const page = await deps.chats.listChats(req.portal!, req.auth!.userId, { search, cursor: Number(cursorRaw) });
    res.json(page);
  });

  // The per-portal size limit applies to the upload stream itself, before anything is decoded.
  const receiveUpload = (req: Request, res: Response, next: NextFunction) => {
    const upload = multer({
      storage: multer.memoryStorage(),
      limits: { fileSize: req.portalSettings!.maxUploadBytes, files: 1, fields: 4, fieldSize: 1024, parts: 6, headerPairs: 20 },
    }).single('avatar');
    upload(req, res, next);
  };

  // A page that lost its chat posts to /api/chats//avatar: say so instead of a bare 404.
  router.post(['/api/chats/avatar', '/api/chats//avatar'], (req) => {
    req.resume();
    throw new AppError('INVALID_CHAT_ID', { detail: 'no chat id in the path' });
  });

  // Who may change the chat is settled before the upload is admitted or read: a made-up or
  // forbidden chat costs one REST call, never a decode. The connection is closed after the
  // refusal so the unread body is not drained.
  const authorizeChat = async (req: Request, res: Response, next: NextFunction) => {
    const chatIdRaw = String(req.params.chatId);
    if (!CHAT_ID.test(chatIdRaw)) {
      res.set('Connection', 'close');
      throw new AppError('INVALID_CHAT_ID', { detail: 'chat id is not a positive integer' });
    }
    try {
      await deps.authorizeChatChange({ portal: req.portal!, user: { id: req.auth!.userId, name: req.auth!.name ?? null }, chatId: Number(chatIdRaw) });
    } catch (error) {
      res.set('Connection', 'close');
      throw error;
    }
    next();
  };

  router.post('/api/chats/:chatId/avatar', authorizeChat, uploadGate, receiveUpload, async (req, res) => {
    const chatIdRaw = String(req.params.chatId);
    const file = req.file;
    if (!file || file.size === 0) throw new AppError(file ? 'UNSUPPORTED_IMAGE' : 'NO_FILE', { detail: file ? 'empty file' : 'no avatar part' });
    const body = req.body as Record<string, unknown> | undefined;
    const crop = parseCrop(body?.crop);
    const result = await deps.updateChatAvatar({
      portal: req.portal!,
      user: { id: req.auth!.userId, name: req.auth!.name ?? null },
      chatId: Number(chatIdRaw),
      image: file.buffer,
      crop,
      settings: req.portalSettings!,
      upload: body?.upload === 'cropped' || body?.upload === 'original' ? body.upload : undefined,
      signal: req.uploadSignal,
    });
    res.json({ ok: true, ...result });
  });

  return router;
}

function parseCrop(raw: unknown): CropRect | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || raw.length > 200) throw new AppError('INVALID_CROP', { detail: 'crop is not a short JSON string' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AppError('INVALID_CROP', { detail: 'crop is not JSON' });
  }
  const { x, y, size } = (parsed ?? {}) as Record<string, unknown>;
  const ok = (n: unknown, min: number) => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= 1_000_000;
  if (!ok(x, 0) || !ok(y, 0) || !ok(size, 1)) throw new AppError('INVALID_CROP', { detail: 'crop values' });
  return { x: x as number, y: y as number, size: size as number };
}
