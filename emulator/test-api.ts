import express, { type Router } from 'express';
import type { LaunchOptions } from './launch';
import { presentEmulatedBot, presentEmulatedChat } from './present';
import type { PortalOperations } from './portal-operations';
import type { AvatarCdn, AvatarFault } from './avatar-cdn';
import type { Fault, PortalState } from './state';

// The test API under /_emulator/ on each portal: the in-process operations over HTTP, for
// tests in other processes (browser tests, benchmarks). Not part of Bitrix24.

function launchOptions(body: Record<string, unknown>): LaunchOptions {
  const lang = body.lang === 'ru' ? 'ru' : body.lang === 'en' ? 'en' : undefined;
  const options: LaunchOptions = { userId: Number(body.userId) || 1 };
  if (typeof body.placement === 'string') options.placement = body.placement;
  if (typeof body.placementOptions === 'object' && body.placementOptions !== null)
    options.placementOptions = body.placementOptions as Record<string, unknown>;
  if (lang) options.lang = lang;
  return options;
}

function faultOf(body: Record<string, unknown>): (Partial<Fault> & { method: string }) | null {
  if (typeof body.method !== 'string' || !body.method) return null;
  const fault: Partial<Fault> & { method: string } = { method: body.method };
  if (typeof body.error === 'string') fault.error = body.error;
  if (typeof body.description === 'string') fault.description = body.description;
  if (typeof body.argument === 'string') fault.argument = body.argument;
  if (body.status !== undefined) fault.status = Number(body.status);
  if (body.times !== undefined) fault.times = Number(body.times);
  if (body.latencyMs !== undefined) fault.latencyMs = Number(body.latencyMs);
  if (body.answerLatencyMs !== undefined) fault.answerLatencyMs = Number(body.answerLatencyMs);
  if (body.beforeAuth !== undefined) fault.beforeAuth = body.beforeAuth === true;
  if (body.skip !== undefined) fault.skip = Number(body.skip);
  return fault;
}

/** An avatar fault from the test API's JSON (avatar-cdn.ts). */
function avatarFaultOf(body: Record<string, unknown>): AvatarFault | null {
  const kinds: AvatarFault['kind'][] = ['unreachable', 'slow', 'huge', 'not_image', 'redirect', 'link'];
  const kind = kinds.find((k) => k === body.kind);
  if (!kind) return null;
  const fault: AvatarFault = { kind };
  if (typeof body.location === 'string') fault.location = body.location;
  if (typeof body.link === 'string') fault.link = body.link;
  if (body.bytes !== undefined) fault.bytes = Number(body.bytes);
  if (body.times !== undefined) fault.times = Number(body.times);
  return fault;
}

export function createTestApi(portal: PortalState, ops: PortalOperations, avatars: AvatarCdn): Router {
  const api = express.Router();
  api.use(express.json({ limit: '1mb' }));
  const body = (req: express.Request) =>
    req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
  const ok = (res: express.Response) => res.json({ ok: true });

  api.post('/launch', (req, res) => {
    const options = launchOptions(body(req));
    if (!portal.users.has(options.userId)) return res.status(400).json({ error: `no user ${options.userId}` });
    res.json(ops.launch(options).form);
  });
  api.post('/install-finish', (_req, res) => {
    ops.finishInstall();
    ok(res);
  });
  api.post('/tokens/expire', (_req, res) => {
    ops.expireAccessTokens();
    ok(res);
  });
  api.post('/tokens/revoke', (req, res) => {
    const userId = body(req).userId;
    if (userId !== undefined && !portal.users.has(Number(userId)))
      return res.status(400).json({ error: `no user ${String(userId)}` });
    ops.revokeTokens(userId === undefined ? undefined : Number(userId));
    ok(res);
  });
  api.post('/rename', async (_req, res) => {
    res.json(await ops.rename());
  });
  api.post('/reinstall', (_req, res) => {
    ops.reinstall();
    ok(res);
  });
  api.post('/faults', (req, res) => {
    const fault = faultOf(body(req));
    if (!fault) return res.status(400).json({ error: 'method is required' });
    ops.injectFault(fault);
    ok(res);
  });
  api.delete('/faults', (_req, res) => {
    ops.clearFaults();
    ok(res);
  });
  api.post('/operating-limit', (req, res) => {
    const { limitSeconds, costs } = body(req);
    const limit = limitSeconds === null || limitSeconds === undefined ? null : Number(limitSeconds);
    if (limit !== null && !(limit >= 0))
      return res.status(400).json({ error: 'limitSeconds must be a number or null' });
    const perMethod: Record<string, number> = {};
    if (typeof costs === 'object' && costs !== null)
      for (const [method, seconds] of Object.entries(costs)) perMethod[method] = Number(seconds) || 0;
    ops.setOperatingLimit({ limitSeconds: limit, costs: perMethod });
    ok(res);
  });
  api.post('/avatar-faults', (req, res) => {
    const fault = avatarFaultOf(body(req));
    if (!fault)
      return res.status(400).json({ error: 'kind must be unreachable, slow, huge, not_image, redirect or link' });
    avatars.injectFault(portal, fault);
    ok(res);
  });
  api.delete('/avatar-faults', (_req, res) => {
    avatars.clearFaults(portal);
    ok(res);
  });
  api.get('/calls', (_req, res) => {
    res.json(portal.calls);
  });
  api.get('/chats/:id', (req, res) => {
    const chat = portal.chats.get(Number(req.params.id));
    if (!chat) return res.status(404).json({ error: 'no such chat' });
    res.json(presentEmulatedChat(chat));
  });
  api.get('/bots', (_req, res) => {
    res.json([...portal.bots.values()].map(presentEmulatedBot));
  });
  api.get('/stats', (_req, res) => {
    res.json({ ...ops.stats(), avatarFetches: avatars.fetches(portal) });
  });
  api.post('/uninstall', async (req, res) => {
    res.json(await ops.uninstall({ clean: body(req).clean === true }));
  });
  // Every event the portal posted to the app, with the fields it carried and the status it got.
  api.get('/events', async (_req, res) => {
    await ops.eventsDelivered();
    res.json(portal.sentEvents);
  });
  api.post('/install-event', async (_req, res) => {
    res.json(await ops.installEvent());
  });
  api.post('/reset', (_req, res) => {
    ops.reset();
    ok(res);
  });
  return api;
}
