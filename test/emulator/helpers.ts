import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { startEmulator, type Emulator, type EmulatedPortal, type EmulatorOptions } from '../../emulator/index';

export const APP = { clientId: 'local.emulator.test', clientSecret: 'emulator-test-secret' };

/** A stand-in for the app: records every form posted to it. */
export async function startRecorder(): Promise<{
  url: string;
  posts: Array<{ path: string; body: string }>;
  close(): Promise<void>;
}> {
  const posts: Array<{ path: string; body: string }> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, posts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export async function start(
  overrides: Partial<EmulatorOptions> = {},
  appUrl = 'http://localhost:9',
): Promise<Emulator> {
  return startEmulator({ app: { ...APP, appUrl }, rateLimit: { threshold: 1000, drainPerSecond: 1000 }, ...overrides });
}

export async function rest(portal: EmulatedPortal, method: string, params: Record<string, unknown>, auth: string) {
  const res = await fetch(`${portal.restUrl}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...params, auth }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** A token for a user, as a launch hands it out. */
export function tokenFor(portal: EmulatedPortal, userId = 1): string {
  return portal.launch({ userId }).fields.AUTH_ID!;
}

export async function registerBot(portal: EmulatedPortal, auth: string, code = 'chatavatar'): Promise<number> {
  const res = await rest(
    portal,
    'imbot.register',
    { CODE: code, TYPE: 'B', EVENT_HANDLER: 'http://localhost:9/events', PROPERTIES: { NAME: 'Chat Avatar' } },
    auth,
  );
  expect(res.status).toBe(200);
  return res.body.result as number;
}

export async function pngBase64(width: number, height: number): Promise<string> {
  const png = await sharp({ create: { width, height, channels: 3, background: '#3366cc' } })
    .png()
    .toBuffer();
  return png.toString('base64');
}
