import { Router } from 'express';
import type { AppRouteDeps } from '../route-deps';
import { contextOf } from '../middleware/portal-context';
import { answerChange } from '../presenters/change-answer';
import { presentHistory } from '../presenters/history';
import { parseChangeKey, parseChatId, parseRestore, parseUndo } from '../schemas/chats';

/**
 * A chat's history of pictures, Undo and Restore (under /api/chats). Undo and Restore are changes
 * of their own: the same check, the same one-request change and the same audit log as Apply,
 * each with its own Idempotency-Key, and answered as Apply is.
 */
export function chatHistoryRoutes(deps: AppRouteDeps): Router {
  const router = Router();

  // The chat's newest pictures, with who set each and when: for everyone who may change the chat.
  router.get('/:chatId/history', async (req, res) => {
    const { portal, user } = contextOf(req);
    const listing = await deps.pictures.list({
      portal,
      user: { id: user.id, name: user.name },
      chatId: parseChatId(req.params.chatId),
    });
    res.json(presentHistory(listing));
  });

  router.post('/:chatId/undo', async (req, res) => {
    const { portal, user, settings } = contextOf(req);
    const { changeKey: undone } = parseUndo(req.body);
    const result = await deps.pictures.undo({
      portal,
      user: { id: user.id, name: user.name },
      chatId: parseChatId(req.params.chatId),
      undone,
      changeKey: parseChangeKey(req.get('idempotency-key')),
      settings,
    });
    answerChange(res, result);
  });

  router.post('/:chatId/history/:entryId/restore', async (req, res) => {
    const { portal, user, settings } = contextOf(req);
    const { entryId, side } = parseRestore(req.params, req.body);
    const result = await deps.pictures.restore({
      portal,
      user: { id: user.id, name: user.name },
      chatId: parseChatId(req.params.chatId),
      entryId,
      side,
      changeKey: parseChangeKey(req.get('idempotency-key')),
      settings,
    });
    answerChange(res, result);
  });

  return router;
}
