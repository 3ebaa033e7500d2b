import { Router, type Request, type Response } from 'express';
import { AppError } from '../../errors';
import { parseSettings } from '../../settings/avatar-settings';
import { toAppError } from '../../bitrix24/error-mapping';
import type { Lang } from '../../lang';
import type { Portal } from '../../store/store';
import type { AppRouteDeps } from '../route-deps';
import { requestLang } from '../middleware/i18n';
import { presentAuditEntry, auditCsv } from '../presenters/audit';
import { presentCapabilities } from '../presenters/capabilities';
import { parseAuditQuery, parseUserQuery } from '../schemas/admin';

const PAGE_SIZE = 50;

// Administration of one portal, mounted at /api/admin behind requireAdmin (http/app.ts): the
// portal is the app token's, the caller an administrator.
export function adminRoutes(deps: AppRouteDeps): Router {
  const router = Router();

  /**
   * What the app learnt of the portal's Bitrix24; a portal installed before the app learnt
   * anything (or whose learning failed) is asked now, once per look at the Status tab.
   */
  const learnt = async (portal: Portal) => {
    const known = await deps.capabilities.learnt(portal);
    if (known) return known;
    return deps.capabilities.learn(portal).catch((error: unknown) => {
      deps.log.warn({ memberId: portal.memberId, err: error }, 'portal capabilities lookup failed');
      return null;
    });
  };

  const status = async (portal: Portal, lang: Lang) => {
    const fresh = (await deps.store.findPortalByMemberId(portal.memberId)) ?? portal;
    let setup;
    try {
      setup = await deps.portalSetup.describe(fresh);
    } catch (error) {
      deps.log.warn({ memberId: portal.memberId, err: error }, 'portal status lookup failed');
      setup = {
        bot: { id: fresh.botId, name: 'Chat Avatar', registered: false },
        events: [],
        placements: [],
        unavailable: true,
      };
    }
    return {
      portal: {
        memberId: fresh.memberId,
        domain: fresh.domain,
        scope: fresh.scope,
        status: fresh.status,
        state: fresh.state,
        installedAt: fresh.installedAt.toISOString(),
        lastRefreshAt: fresh.lastRefreshAt?.toISOString() ?? null,
        lastRefreshOk: fresh.lastRefreshOk,
      },
      // Steps Bitrix24 refused at install or at the last repair, with its own code and argument.
      problems: fresh.setupProblems,
      ...setup,
      // Which Bitrix24 this is: the avatar method, the scopes, im.dialog.get's fields; in words.
      capabilities: presentCapabilities(await learnt(fresh), fresh.scope, lang),
    };
  };

  // Each repair also asks again which Bitrix24 this is (a portal updated since, a scope added):
  // first, so that its answer is in the status the repair answers with, even when the repair is refused.
  const repair = (work: (portal: Portal, req: Request) => Promise<unknown>) => async (req: Request, res: Response) => {
    await deps.capabilities.learn(req.portal!).catch((error: unknown) => {
      deps.log.warn({ memberId: req.portal!.memberId, err: error }, 'portal capabilities not learnt on repair');
    });
    try {
      await work(req.portal!, req);
    } catch (error) {
      throw toAppError(error);
    }
    res.json(await status(req.portal!, requestLang(req)));
  };

  router.get('/status', async (req, res) => {
    res.json(await status(req.portal!, requestLang(req)));
  });
  // A bot registered again is named in the repairing administrator's language.
  router.post(
    '/bot/repair',
    repair((portal, req) => deps.portalSetup.runStep(portal, 'bot', requestLang(req))),
  );
  router.post(
    '/events/rebind',
    repair(async (portal, req) => {
      // Both steps run (and are recorded) even when the first is refused.
      const problems = (await deps.portalSetup.runAll(portal, requestLang(req))).filter((p) => p.step !== 'bot');
      if (problems.length > 0)
        throw new AppError('SETUP_REFUSED', {
          detail: problems.map((p) => `${p.step}: ${p.code}${p.argument ? ` (${p.argument})` : ''}`).join('; '),
        });
    }),
  );

  router.get('/settings', async (req, res) => {
    res.json({ settings: req.portalSettings, limits: { maxUploadBytes: deps.config.uploads.maxBytes } });
  });
  router.put('/settings', async (req, res) => {
    const settings = parseSettings(req.body, {
      serverMaxUploadBytes: deps.config.uploads.maxBytes,
      lang: requestLang(req),
    });
    await deps.settings.save(req.portal!.memberId, settings);
    deps.log.info({ memberId: req.portal!.memberId, userId: req.auth!.userId }, 'settings saved');
    res.json({ settings });
  });

  router.get('/audit', async (req, res) => {
    const { result, page } = parseAuditQuery(req.query);
    const { entries, total } = await deps.store.listAuditEntries(req.portal!.memberId, {
      result,
      limit: PAGE_SIZE,
      offset: (page - 1) * PAGE_SIZE,
    });
    const lang = requestLang(req);
    res.json({ entries: entries.map((entry) => presentAuditEntry(entry, lang)), page, pageSize: PAGE_SIZE, total });
  });
  router.get('/users', async (req, res) => {
    const query = parseUserQuery(req.query);
    const users =
      'search' in query
        ? await deps.users.search(req.portal!, req.auth!.userId, query.search)
        : await deps.users.byIds(req.portal!, req.auth!.userId, query.ids);
    res.json({ users });
  });
  router.get('/audit.csv', async (req, res) => {
    const { result } = parseAuditQuery(req.query);
    const { entries } = await deps.store.listAuditEntries(req.portal!.memberId, { result, limit: 100_000, offset: 0 });
    res.set('Content-Disposition', 'attachment; filename="chat-avatar-audit.csv"');
    res.type('text/csv; charset=utf-8').send(auditCsv(entries));
  });

  return router;
}
