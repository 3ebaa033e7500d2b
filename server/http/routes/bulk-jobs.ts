import { Router, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { AppError } from '../../errors';
import type { AppRouteDeps } from '../route-deps';
import type { createUploadGate } from '../middleware/upload-gate';
import { contextOf } from '../middleware/portal-context';
import { requestLang } from '../middleware/i18n';
import { presentBulkChat, presentBulkProgress } from '../presenters/bulk-job';
import { parseChatId } from '../schemas/chats';
import { parseJobId, parseNewJob, parseResultsPage, parseStartFields } from '../schemas/bulk-jobs';

/** A middleware's turn inside a handler: an upload is admitted and read only once its job is known. */
function run(middleware: (req: Request, res: Response, next: NextFunction) => void, req: Request, res: Response) {
  return new Promise<void>((resolve, reject) =>
    middleware(req, res, (error?: unknown) => (error ? reject(error) : resolve())),
  );
}

/**
 * /api/bulk-jobs: one picture (or one made per chat in the browser) for many chats. The dry run
 * makes a draft job; the start sends it; the job then runs on its own (bulk-job-runner.ts), and
 * the page follows its progress, which it can pause, resume or cancel. A user sees only their
 * own jobs.
 */
export function bulkJobRoutes(deps: AppRouteDeps, uploadGate: ReturnType<typeof createUploadGate>): Router {
  const router = Router();
  const who = (req: Request) => {
    const { portal, user } = contextOf(req);
    return { portal, user: { id: user.id, name: user.name } };
  };
  const receiveUpload = async (req: Request, res: Response) => {
    await run(uploadGate, req, res);
    await run(
      multer({
        storage: multer.memoryStorage(),
        limits: {
          fileSize: contextOf(req).settings.maxUploadBytes,
          files: 1,
          fields: 2,
          fieldSize: 1024,
          parts: 4,
          headerPairs: 20,
        },
      }).single('avatar'),
      req,
      res,
    );
  };

  router.post('/', async (req, res) => {
    const { chatIds, template } = parseNewJob(req.body);
    const { job, items } = await deps.bulkJobs.dryRun(who(req), chatIds, template);
    const lang = requestLang(req);
    res.status(201).json({
      job: presentBulkProgress(await deps.bulkJobs.progress(who(req), job.id)),
      chats: items.map((item) => presentBulkChat(item, lang)),
    });
  });

  router.get('/', async (req, res) => {
    const jobs = await deps.bulkJobs.list(who(req));
    res.json({
      jobs: await Promise.all(
        jobs.map(async (job) => presentBulkProgress(await deps.bulkJobs.progress(who(req), job.id))),
      ),
    });
  });

  router.get('/:jobId', async (req, res) => {
    res.json({ job: presentBulkProgress(await deps.bulkJobs.progress(who(req), parseJobId(req.params.jobId))) });
  });

  router.get('/:jobId/chats', async (req, res) => {
    const page = parseResultsPage(req.query);
    const items = await deps.bulkJobs.results(who(req), parseJobId(req.params.jobId), page);
    const lang = requestLang(req);
    res.json({
      chats: items.map((item) => presentBulkChat(item, lang)),
      next: items.length === page.limit ? page.offset + page.limit : null,
    });
  });

  // A chat's own picture, made in the browser (its initials): the same checks as any upload.
  router.post('/:jobId/chats/:chatId/avatar', async (req, res) => {
    const jobId = parseJobId(req.params.jobId);
    const chatId = parseChatId(req.params.chatId);
    // The job is the user's before a byte of the upload is read.
    await deps.bulkJobs.progress(who(req), jobId);
    await receiveUpload(req, res);
    const file = req.file;
    if (!file || file.size === 0)
      throw new AppError(file ? 'UNSUPPORTED_IMAGE' : 'NO_FILE', { detail: file ? 'empty file' : 'no avatar part' });
    const picture = await deps.bulkJobs.setChatPicture(who(req), jobId, chatId, {
      image: file.buffer,
      settings: contextOf(req).settings,
      signal: req.uploadSignal,
    });
    res.json({
      ok: true,
      chatId,
      width: picture.width,
      height: picture.height,
      format: picture.format,
      bytes: picture.bytes,
    });
  });

  // The start: with the template's picture (multipart `avatar`, optional `crop`), or, for a
  // job whose chats have their own pictures, with none.
  router.post('/:jobId/start', async (req, res) => {
    const jobId = parseJobId(req.params.jobId);
    await deps.bulkJobs.progress(who(req), jobId);
    let upload = null;
    if (req.is('multipart/form-data')) {
      await receiveUpload(req, res);
      const file = req.file;
      if (!file || file.size === 0)
        throw new AppError(file ? 'UNSUPPORTED_IMAGE' : 'NO_FILE', { detail: file ? 'empty file' : 'no avatar part' });
      const { crop } = parseStartFields(req.body);
      upload = { image: file.buffer, crop, settings: contextOf(req).settings, signal: req.uploadSignal };
    }
    res.json({ job: presentBulkProgress(await deps.bulkJobs.start(who(req), jobId, upload)) });
  });

  // "Undo all": a job of its own that puts back each chat's previous picture; answered with it.
  router.post('/:jobId/undo', async (req, res) => {
    const undoing = await deps.bulkUndo.undoAll(who(req), parseJobId(req.params.jobId));
    res.status(201).json({ job: presentBulkProgress(await deps.bulkJobs.progress(who(req), undoing)) });
  });

  for (const [action, to] of [
    ['pause', 'paused'],
    ['resume', 'running'],
    ['cancel', 'cancelled'],
  ] as const)
    router.post(`/:jobId/${action}`, async (req, res) => {
      res.json({ job: presentBulkProgress(await deps.bulkJobs.setState(who(req), parseJobId(req.params.jobId), to)) });
    });

  return router;
}
