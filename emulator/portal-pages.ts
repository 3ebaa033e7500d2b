import { html, raw, type SafeHtml } from '../views/html';
import type { LaunchForm } from './launch';
import { avatarPath } from './methods/chat-view';
import { fullName, type Bot, type Chat, type PortalState, type User } from './state';

// Pages that look and behave like a Bitrix24 portal around a local app: the left menu, a user
// switcher, chats with the app in their sidebar, and the frame page that posts the launch form
// into the app's iframe exactly as Bitrix24 does (settings/oauth/simple-way.md).
// Written with the app's html`` template (views/html.ts, which imports nothing of server/): chat
// titles and user names are anyone's text, and the template escapes them.

function shell(portal: PortalState, user: User, body: SafeHtml, extraHead: SafeHtml = html``): string {
  const users = [...portal.users.values()].map(
    (u) =>
      html`<a class="user${u.id === user.id ? ' current' : ''}" href="?user=${u.id}">${fullName(u)}${u.admin ? ' (admin)' : ''}</a>`,
  );
  const appLink = portal.installed
    ? html`<a id="menu-app" href="/marketplace/app/">Chat Avatar</a>${user.admin ? html`<form method="post" action="/marketplace/uninstall/"><label class="clean"><input id="menu-uninstall-clean" type="checkbox" name="clean" value="Y"> Delete application settings and data</label><button id="menu-uninstall" type="submit">Uninstall app</button></form>` : ''}`
    : html`<a id="menu-install" href="/marketplace/install/">Install Chat Avatar</a>`;
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${portal.title} — Bitrix24 (emulator)</title>
<link rel="stylesheet" href="/_emulator/static/portal.css">${extraHead}</head>
<body><header><strong>${portal.title}</strong> <span class="badge">Bitrix24 emulator</span><nav class="users">${users}</nav></header>
<div class="layout"><aside><a href="/">Chats</a>${appLink}</aside><main>${body}</main></div></body></html>`.toString();
}

export function renderHome(portal: PortalState, user: User): string {
  // widgets/im/sidebar.md: the widget shows only once the installation is finished.
  const sidebar = portal.installed && portal.placements.some((p) => p.name === 'IM_SIDEBAR');
  const chats = [...portal.chats.values()]
    .filter((c) => c.members.includes(user.id))
    .sort((a, b) => b.lastActivity - a.lastActivity)
    .slice(0, 12)
    .map((c) => {
      const avatar = c.avatar
        ? html`<img class="avatar" alt="" src="${avatarPath(c)}">`
        : html`<span class="dot" style="background:${c.color}"></span>`;
      const button = sidebar ? html` <a class="sidebar-app" href="/im/chat/${c.id}/sidebar/">Chat Avatar</a>` : '';
      return html`<li data-chat-id="${c.id}">${avatar}<a class="title" href="/im/chat/${c.id}/">${c.title}</a> <small>#${c.id}</small>${button}</li>`;
    });
  const hint = portal.installed
    ? html`<p>Open <b>Chat Avatar</b> in the menu on the left.</p>`
    : html`<p>The app is not installed yet: click <b>Install Chat Avatar</b> on the left.</p>`;
  return shell(portal, user, html`<h1>Chats</h1>${hint}<ul class="chats">${chats}</ul>`);
}

/**
 * The frame page. The iframe's name is what b24jssdk's loader reads from window.name:
 * `DOMAIN|PROTOCOL|APP_SID` (loader-b24frame.mjs, parseFrameQueryParams).
 */
export function renderFrame(
  portal: PortalState,
  user: User,
  form: LaunchForm,
  initData: Record<string, unknown>,
  appOrigin: string,
): string {
  const frameName = `${String(initData.DOMAIN)}|${String(initData.PROTOCOL)}|${String(initData.APP_SID)}`;
  const fields = Object.entries(form.fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  );
  // JSON in a script data block, where entities are not decoded: with every < escaped nothing in
  // it can close the block or open a comment, so it goes in raw.
  const data = raw(JSON.stringify({ initData, appOrigin }).replace(/</g, '\\u003c'));
  return shell(
    portal,
    user,
    html`<div class="app-frame"><iframe id="app-frame" name="${frameName}" title="Chat Avatar"></iframe></div>
<form id="launch-form" method="post" action="${form.url}" target="${frameName}">${fields}</form>
<script type="application/json" id="frame-data">${data}</script>`,
    html`<script src="/_emulator/static/portal.js" defer></script>`,
  );
}

export function renderMessage(portal: PortalState, user: User, title: string, message: string): string {
  return shell(portal, user, html`<h1>${title}</h1><p class="error">${message}</p>`);
}

/** Where the portal's pages show a bot's face (imbot.register's PERSONAL_PHOTO); '' when it has none. */
export function botPhotoPath(bot: Bot): string {
  if (!bot.photo) return '';
  const ext = bot.photo.format === 'jpeg' ? 'jpg' : bot.photo.format;
  return `/upload/bot-avatar/${bot.id}.${ext}?v=${bot.photo.version}`;
}

/** One chat as a member sees it: its members, bots with their faces, and what bots posted in it. */
export function renderChat(portal: PortalState, user: User, chat: Chat): string {
  const member = (id: number) => {
    const bot = portal.bots.get(id);
    if (bot) {
      const face = bot.photo
        ? html`<img class="avatar" alt="" src="${botPhotoPath(bot)}">`
        : html`<span class="dot" style="background:#aaa"></span>`;
      return html`<li class="bot" data-bot-id="${bot.id}">${face}${bot.name} <small>bot</small></li>`;
    }
    const person = portal.users.get(id);
    return person ? html`<li>${fullName(person)}</li>` : html``;
  };
  const messages = chat.messages.map((message) => {
    const bot = portal.bots.get(message.authorId);
    const face = bot?.photo ? html`<img class="avatar" alt="" src="${botPhotoPath(bot)}">` : html``;
    return html`<li class="message${message.system ? ' system' : ''}" data-message-id="${message.id}">${face}<b>${bot?.name ?? `#${message.authorId}`}</b> ${message.text}</li>`;
  });
  return shell(
    portal,
    user,
    html`<h1>${chat.title}</h1><h2>Members</h2><ul class="members">${chat.members.map(member)}</ul>
<h2>Messages</h2><ul class="messages">${messages.length ? messages : html`<li class="empty">No messages.</li>`}</ul>`,
  );
}
