import { Router } from 'express';
import { parseSettings } from '../../access/avatar-settings';
import type { AppRouteDeps } from '../route-deps';
import { requestLang } from '../middleware/i18n';
import { contextOf } from '../middleware/portal-context';
import { presentAuditEntry, presentAuditJob, auditCsv } from '../presenters/audit';
import { presentThumbnails } from '../presenters/history';
import { thumbnailKey } from '../../chats/audit-log';
import { presentPortalStatus } from '../presenters/portal-status';
import { parseAuditQuery, parseUserQuery } from '../schemas/admin';

const PAGE_SIZE = 50;

// Administration of one portal, mounted at /api/admin behind requireAdmin (http/app.ts): the
// portal is the app token's, the caller an administrator.
export function adminRoutes(deps: AppRouteDeps): Router {
  const router = Router();

  router.get('/status', async (req, res) => {
    res.json(presentPortalStatus(await deps.portalAdmin.status(contextOf(req).portal), requestLang(req)));
  });
  router.post('/bot/repair', async (req, res) => {
    const lang = requestLang(req);
    res.json(presentPortalStatus(await deps.portalAdmin.repairBot(contextOf(req).portal, lang), lang));
  });
  router.post('/events/rebind', async (req, res) => {
    const lang = requestLang(req);
    res.json(presentPortalStatus(await deps.portalAdmin.rebindEvents(contextOf(req).portal, lang), lang));
  });

  router.get('/settings', async (req, res) => {
    res.json({ settings: req.portalSettings, limits: { maxUploadBytes: deps.config.uploads.maxBytes } });
  });
  router.put('/settings', async (req, res) => {
    const settings = parseSettings(req.body, {
      serverMaxUploadBytes: deps.config.uploads.maxBytes,
      lang: requestLang(req),
    });
    const { portal, user } = contextOf(req);
    await deps.settings.save(portal.memberId, settings);
    deps.log.info({ memberId: portal.memberId, userId: user.id }, 'settings saved');
    res.json({ settings });
  });

  router.get('/audit', async (req, res) => {
    const { result, page } = parseAuditQuery(req.query);
    const { portal, user } = contextOf(req);
    const { entries, total, titles, thumbnails, jobs } = await deps.auditLog.page(portal, user.id, {
      result,
      page,
      pageSize: PAGE_SIZE,
    });
    const lang = requestLang(req);
    res.json({
      entries: entries.map((entry) => ({
        ...presentAuditEntry(entry, lang, titles),
        thumbnails: presentThumbnails(thumbnails.get(thumbnailKey(entry))),
      })),
      jobs: jobs.map((job) => presentAuditJob(job, lang)),
      page,
      pageSize: PAGE_SIZE,
      total,
    });
  });
  router.get('/users', async (req, res) => {
    const query = parseUserQuery(req.query);
    const { portal, user } = contextOf(req);
    const users =
      'search' in query
        ? await deps.users.search(portal, user.id, query.search)
        : await deps.users.byIds(portal, user.id, query.ids);
    res.json({ users });
  });
  router.get('/audit.csv', async (req, res) => {
    const { result, tz } = parseAuditQuery(req.query);
    const { portal, user } = contextOf(req);
    const { entries, titles } = await deps.auditLog.all(portal, user.id, { result });
    res.set('Content-Disposition', 'attachment; filename="chat-avatar-audit.csv"');
    res.type('text/csv; charset=utf-8').send(auditCsv(entries, { lang: requestLang(req), timeZone: tz, titles }));
  });

  return router;
}
