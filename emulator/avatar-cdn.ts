import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Chat, PortalState } from './state';

// Where a chat's avatar link leads (im.dialog.get's `avatar`, "Link to the chat avatar",
// api-reference/chats/im-dialog-get.md). A cloud portal answers a link on Bitrix24's CDN, a host
// of its own (im-recent-list.md's example: `https://cdn.com.bitrix24.com/b17053/resize_cache/
// 54309/ff58…/im/553/5539…/7qd8…`); an on-premise portal one on its own host (`/upload/…`).
// The emulator has a CDN of its own, on its own port (so its own origin), shared by its portals.
// Each change is a new file and so a new link; the file a link named is gone once it is replaced,
// so a link read after the change answers 404. A test can make a portal's links misbehave.

/** How a portal's avatar links misbehave (test API `POST /_emulator/avatar-faults`). */
export interface AvatarFault {
  /**
   * `unreachable`: the connection is cut before an answer; `slow`: the answer starts and never
   * ends; `huge`: an answer of `bytes` bytes (400 MB unless given) of undeclared length; `not_image`: an HTML
   * page; `redirect`: a 302 to `location`; `link`: im.dialog.get answers `link` (with the avatar's
   * version, so it still changes with each change) for a chat that has an avatar.
   */
  kind: 'unreachable' | 'slow' | 'huge' | 'not_image' | 'redirect' | 'link';
  location?: string;
  link?: string;
  bytes?: number;
  /** How many fetches (or, for `link`, answers of im.dialog.get) it strikes; every one when unset. */
  times?: number;
}

export interface AvatarCdn {
  /** http://host:port of the CDN, once it listens. */
  origin(): string;
  setOrigin(origin: string): void;
  /** The link im.dialog.get answers for a chat's avatar now; '' when it has none. */
  linkFor(portal: PortalState, baseUrl: string, chat: Chat): string;
  /** The CDN's requests. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** The portal's own `/upload/resize_cache/im/…` requests (an on-premise portal's links). */
  handlePortalFile(portal: PortalState, path: string, res: ServerResponse): void;
  injectFault(portal: PortalState, fault: AvatarFault): void;
  clearFaults(portal: PortalState): void;
  /** How many times a portal's avatar files were asked for (the app's reads of old pictures). */
  fetches(portal: PortalState): number;
}

const HUGE_BYTES = 400 * 1024 * 1024;

export function createAvatarCdn(): AvatarCdn {
  let origin = '';
  const portals: PortalState[] = [];
  const faults = new Map<PortalState, AvatarFault[]>();
  const counts = new Map<PortalState, number>();

  const indexOf = (portal: PortalState) => {
    let index = portals.indexOf(portal);
    if (index < 0) index = portals.push(portal) - 1;
    return index;
  };
  /** A name no one could guess from the chat alone: the file's own, as Bitrix24's are. */
  const fileName = (portal: PortalState, chat: Chat) =>
    createHash('sha256')
      .update(`${portal.memberId}/${chat.id}/${chat.avatar?.version ?? 0}`)
      .digest('hex')
      .slice(0, 32);
  const extension = (chat: Chat) => (chat.avatar?.format === 'jpeg' ? 'jpg' : (chat.avatar?.format ?? 'png'));

  const takeFault = (portal: PortalState, served: boolean): AvatarFault | undefined => {
    const list = faults.get(portal) ?? [];
    const fault = list.find((f) => (f.kind === 'link') !== served);
    if (fault && fault.times !== undefined && --fault.times <= 0) list.splice(list.indexOf(fault), 1);
    return fault;
  };

  /** Answers the file a link names, if it is still the chat's avatar. */
  const serve = (portal: PortalState, chatId: number, name: string, res: ServerResponse) => {
    counts.set(portal, (counts.get(portal) ?? 0) + 1);
    const fault = takeFault(portal, true);
    if (fault && misbehave(fault, res)) return;
    const chat = portal.chats.get(chatId);
    if (!chat?.avatar || name !== `${fileName(portal, chat)}.${extension(chat)}`) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    res
      .writeHead(200, {
        'content-type': `image/${chat.avatar.format}`,
        'content-length': chat.avatar.data.length,
        'cache-control': 'max-age=31536000',
      })
      .end(chat.avatar.data);
  };

  return {
    origin: () => origin,
    setOrigin(value) {
      origin = value;
    },
    linkFor(portal, baseUrl, chat) {
      const fault = takeFault(portal, false);
      if (!chat.avatar) return '';
      // A hostile portal's link still changes with each change, as its real one would.
      if (fault?.link !== undefined)
        return `${fault.link}${fault.link.includes('?') ? '&' : '?'}v=${chat.avatar.version}`;
      const name = `${fileName(portal, chat)}.${extension(chat)}`;
      // An on-premise portal serves its own files; `im` 19.x is only ever on-premise.
      if (portal.profile === 'onprem-old') return `${baseUrl}/upload/resize_cache/im/${chat.id}/${name}`;
      return `${origin}/b${indexOf(portal) + 1}/resize_cache/${chat.id}/im/${name}`;
    },
    handle(req, res) {
      const match = /^\/b(\d+)\/resize_cache\/(\d+)\/im\/([\w.]+)$/.exec((req.url ?? '').split('?')[0]!);
      const portal = match ? portals[Number(match[1]) - 1] : undefined;
      if (req.method !== 'GET' || !match || !portal) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
        return;
      }
      serve(portal, Number(match[2]), match[3]!, res);
    },
    handlePortalFile(portal, path, res) {
      const match = /^\/upload\/resize_cache\/im\/(\d+)\/([\w.]+)$/.exec(path);
      if (!match) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
        return;
      }
      serve(portal, Number(match[1]), match[2]!, res);
    },
    injectFault(portal, fault) {
      const list = faults.get(portal) ?? [];
      list.push({ ...fault });
      faults.set(portal, list);
    },
    clearFaults(portal) {
      faults.delete(portal);
    },
    fetches: (portal) => counts.get(portal) ?? 0,
  };
}

/** Answers as the fault says; false when it has nothing to do with the file itself. */
function misbehave(fault: AvatarFault, res: ServerResponse): boolean {
  switch (fault.kind) {
    case 'unreachable':
      res.socket?.destroy();
      return true;
    case 'slow':
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(Buffer.from('89504e470d0a1a0a', 'hex'));
      // Nothing more, ever: the reader's deadline ends it.
      return true;
    case 'huge': {
      const total = fault.bytes ?? HUGE_BYTES;
      // No length declared: the reader finds out only by counting.
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024, 0x42);
      let sent = 0;
      const pump = () => {
        while (sent < total && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return true;
    }
    case 'not_image':
      res
        .writeHead(200, { 'content-type': 'image/png' })
        .end('<!doctype html><title>Sign in</title><p>Sign in to Bitrix24');
      return true;
    case 'redirect':
      res.writeHead(302, { location: fault.location ?? 'http://169.254.169.254/latest/meta-data/' }).end();
      return true;
    case 'link':
      return false;
  }
}
