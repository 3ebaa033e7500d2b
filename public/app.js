import { createAdmin } from './admin.js';
import { createApi } from './api.js';
import { setUpBulk } from './bulk.js';
import { chatAvatarNode, createChatPicker } from './chat-picker.js';
import { createCropper } from './cropper.js';
import { startBusyCountdown, stopBusyCountdown } from './busy-countdown.js';
import { createChatHistory } from './chat-history.js';
import { initialsPicture } from './initials.js';
import { offerUndo, restorePicture } from './undo-offer.js';
import { buildUploadForm } from './crop-render.js';
import { describeChatAccess } from './chat-access.js';
import { byId } from './dom.js';
import { createImageChoice } from './image-choice.js';
import { createMakeOne } from './make-one.js';
import { showBrandColour } from './swatches.js';
import { createMessage } from './message.js';
import { connectPortalFrame } from './portal-frame.js';
import { offerRenewal } from './renewal-offer.js';
import { startQueueWait, stopQueueWait } from './queue-wait.js';
import { setUpTabs } from './tabs.js';

/** @import { ApiError, AppData, ChangeAnswer, Chat, ChatVerdict } from './page' */

/** @type {AppData} */
const data = JSON.parse(byId('app-data').textContent ?? '');
const t = data.strings;

/** 128 random bits in hex: getRandomValues works on plain-http hosts too, where randomUUID does not. */
function newChangeKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function main() {
  const { ready: frameReady, fit } = connectPortalFrame(data);
  const message = byId('message');
  const { say, unsay, setActiveSlot } = createMessage({ element: message, onShown: fit });
  const api = createApi({ data, frameReady });
  // Many chats at once: its own section, with the same API and message.
  setUpBulk({ api, data, onError: (error) => say(error.message, 'error'), fit });
  // What the user has chosen: the chat here, the image in the image choice. An Apply copies
  // both: its result speaks of what was sent, whatever is chosen while it runs.
  /** @type {Chat | null} */
  let chat = null;
  let chatTitleKnown = false;
  /** What the user may do with the chosen chat: asked the moment it is chosen, before any file. */
  /** @type {ChatVerdict} */
  let verdict = { state: 'unknown' };
  let applying = false;
  // The Idempotency-Key of the last Apply that did not succeed, with what it sent: pressing
  // Apply again on the same chat, file and crop is the same change, and the server makes it once.
  /** @type {{ chatId: number, file: File, crop: string, changeKey: string } | null} */
  let lastTry = null;
  // Who makes the change: the app's bot (always, unless the user chose to make it themselves
  // because the bot cannot join this chat). Back to the bot with every other chat.
  /** @type {'bot' | 'user'} */
  let way = 'bot';

  const apply = byId('apply');
  const applyHint = byId('apply-hint');
  const selected = byId('selected-chat');
  const chatsCard = byId('chats-card');
  const chosen = byId('chat-chosen');
  const chosenTitle = byId('chat-chosen-title');
  const chosenAvatar = byId('chat-chosen-avatar');
  const verdictLine = byId('chat-verdict');
  const changeChat = byId('chat-change');
  const imageStep = byId('image-step');
  const accessNote = byId('chat-access');

  // Undo on a change's result, Restore from the chat's history: changes of their own (undo-offer.js).
  /** @type {import('./undo-offer.js').UndoDeps} */
  const undoDeps = {
    api,
    strings: t,
    lang: data.locale,
    say,
    newChangeKey,
    onChanged: (chatId) => void showPutBack(chatId),
    onInitials: (target) => void applyInitials(target),
  };
  const history = createChatHistory({
    api,
    strings: t,
    lang: data.locale,
    element: byId('chat-history'),
    onRestore: (entry, side) => {
      if (chat) void restorePicture(undoDeps, chat, { entryId: entry.id, side });
    },
    fit,
  });

  /**
   * The chat shows a picture of its history again (Undo, Restore): the list and the chosen chat
   * show it too, from the history's thumbnail of what was put back.
   * @param {number} chatId
   */
  async function showPutBack(chatId) {
    history.refresh();
    /** @type {import('./page').HistoryView | null} */
    const listed = await api.get(`/api/chats/${chatId}/history`).catch(() => null);
    const thumbnail = listed?.entries[0]?.after.thumbnail;
    if (!thumbnail) return;
    picker.updateAvatar(chatId, thumbnail);
    if (chat?.id === chatId)
      chatAvatarNode({ title: chat.title, avatarUrl: thumbnail, color: chat.color }, chosenAvatar);
  }

  /**
   * "No avatar" cannot be put back: the chat's initials on its colour, drawn as Bitrix24 draws
   * them, applied as an ordinary change (noted as initials in the audit log).
   * @param {{ id: number, title: string, color: string | null }} target
   */
  async function applyInitials(target) {
    const changeKey = newChangeKey();
    say(t.applying, 'progress');
    try {
      const side = data.limits.outputSide;
      const form = new FormData();
      const picture = await initialsPicture(target, side);
      form.set('avatar', new File([picture], 'initials.png', { type: 'image/png' }));
      form.set('upload', 'original');
      form.set('origin', 'initials');
      /** @type {ChangeAnswer} */
      const answer = await api.upload(`/api/chats/${target.id}/avatar`, form, () => {}, { changeKey });
      history.refresh();
      const shown = URL.createObjectURL(picture);
      picker.updateAvatar(target.id, shown);
      if (chat?.id === target.id) chatAvatarNode({ ...target, avatarUrl: shown }, chosenAvatar);
      offerUndo(undoDeps, { chat: target, changeKey, answer, text: t.success.replace('{chat}', target.title) });
    } catch (caught) {
      say(/** @type {ApiError} */ (caught).message, 'error');
    }
  }

  /** @param {{ text: string, kind: 'info' | 'error', offerUserWay: boolean } | null} note */
  function showAccess(note) {
    accessNote.replaceChildren();
    accessNote.hidden = !note;
    accessNote.classList.toggle('error', note?.kind === 'error');
    if (!note) return fit();
    accessNote.append(note.text);
    if (note.offerUserWay && way === 'bot') {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-light btn-small';
      button.textContent = t.changeAsYourself;
      button.addEventListener('click', () => changeAsYourself());
      accessNote.append(' ', button);
    }
    fit();
  }

  /** The bot cannot join: the user makes the change themselves (im.chat.updateAvatar). */
  function changeAsYourself() {
    way = 'user';
    showAccess({ text: t.changingAsYourself, kind: 'info', offerUserWay: false });
  }

  /** Apply is offered only when there is something to apply; the hint says what is missing. */
  function refreshApply() {
    if (applying) return;
    const missing = !chat
      ? t.chooseChatFirst
      : verdict.state === 'refused'
        ? verdict.message
        : verdict.state === 'checking'
          ? t.chatChecking
          : !image.file()
            ? t.chooseImageFirst
            : image.decoding()
              ? t.decoding
              : '';
    apply.disabled = Boolean(missing);
    // A refusal is said once, beside the chat it refuses.
    applyHint.textContent = verdict.state === 'refused' ? '' : missing;
  }

  /**
   * The chosen chat as Bitrix24 shows it and what the user may do with it, before the page asks
   * for a file: a chat the user may not change says why and who can, and offers no file step.
   * @param {ChatVerdict} next
   */
  function showVerdict(next) {
    if (!chat) return;
    verdict = next;
    const look = 'look' in next && next.look ? next.look : null;
    const title = look?.title || (chatTitleKnown ? chat.title : t.chatNumber.replace('{id}', String(chat.id)));
    chosen.hidden = false;
    chosenTitle.textContent = title;
    chatAvatarNode(
      { title, avatarUrl: look?.avatarUrl ?? chat.avatarUrl, color: look?.color ?? chat.color },
      chosenAvatar,
    );
    const refused = next.state === 'refused';
    // A chat Bitrix24 will not show the user at all may be a mistyped number.
    const unseen = refused && !next.look && next.code === 'NOT_CHAT_MEMBER';
    const why = unseen ? t.chatNotListed.replace('{id}', String(chat.id)) : refused ? next.message : '';
    verdictLine.textContent = next.state === 'checking' ? t.chatChecking : next.state === 'may' ? t.chatMayChange : why;
    chosen.classList.toggle('refused', refused);
    selected.textContent = unseen ? why : t.selectedChat.replace('{chat}', title);
    makeOne.chatChanged();
    // The file step is offered for a chat the user may change, or when the check could not say;
    // while it is asked, the step stays as it was (hidden only when opened for one chat).
    if (next.state !== 'checking') imageStep.hidden = refused;
    // Its earlier avatars, for a user who may change it.
    if (next.state !== 'checking') history.showFor(next.state === 'may' ? chat.id : null);
    // Another chat is picked from the list; opened for one chat, the list comes on request.
    changeChat.hidden = !chatsCard.hidden;
    if (next.state === 'may' && next.bot === 'joins')
      showAccess({ text: t.botWillJoin, kind: 'info', offerUserWay: false });
    else if (next.state === 'may' && next.bot === 'blocked')
      showAccess({ text: next.botMessage ?? '', kind: 'info', offerUserWay: true });
    else showAccess(null);
    refreshApply();
  }

  const cropper = createCropper({ strings: t });
  const image = createImageChoice({ data, cropper, unsay, onChange: refreshApply });
  // Make one: a picture drawn from the chosen chat's initials, an emoji or a logo, taken as any image.
  const makeOne = createMakeOne({
    strings: t,
    side: () => data.limits.outputSide,
    chatTitle: () => (chat ? chosenTitle.textContent || chat.title : null),
    onMade: (made) => image.choose(made),
    chosen: () => image.file(),
  });

  const picker = createChatPicker({
    api,
    data,
    onSelect(next, { titleKnown }) {
      const another = !chat || chat.id !== next.id;
      if (chat && another) unsay();
      chat = next;
      chatTitleKnown = titleKnown;
      if (another) {
        way = 'bot';
        void describeChatAccess(api, next.id, showVerdict);
      } else showVerdict(verdict);
    },
    onError: (error) => say(error.message, 'error'),
  });

  /**
   * While an Apply runs, the chat and the image it sends cannot be changed on screen.
   * @param {boolean} value
   */
  function freeze(value) {
    applying = value;
    picker.setLocked(value);
    image.setLocked(value);
    makeOne.setLocked(value);
    changeChat.disabled = value;
  }

  const progress = byId('progress');
  apply.addEventListener('click', async () => {
    const file = image.file();
    // aria-disabled while it runs rather than disabled: a disabled button drops the focus.
    if (applying || apply.disabled || !chat || !file) return;
    const picture = cropper.picture();
    const framed = picture ? { bitmap: picture, orientation: cropper.orientation() } : null;
    const request = { chat, file, crop: cropper.crop(), framed, previewUrl: cropper.previewUrl(), way };
    // The same chat, file, square and turn: the same change.
    const framing = JSON.stringify([request.crop, framed?.orientation ?? null]);
    const same = lastTry && lastTry.chatId === chat.id && lastTry.file === file && lastTry.crop === framing;
    const changeKey = lastTry && same ? lastTry.changeKey : newChangeKey();
    lastTry = { chatId: chat.id, file, crop: framing, changeKey };
    unsay();
    freeze(true);
    apply.setAttribute('aria-disabled', 'true');
    apply.setAttribute('aria-busy', 'true');
    applyHint.textContent = '';
    progress.hidden = false;
    progress.value = 0;
    say(t.applying, 'progress');
    let saving = false;
    try {
      /** @param {{ seconds: number, checking?: boolean, code?: string }} retry */
      const onBusy = (retry) => {
        saving = false;
        stopQueueWait();
        // Sent, and Bitrix24's answer never came: the server is finding out from the chat.
        if (retry.checking) say(t.checking, 'progress');
        else startBusyCountdown(retry, t, (text) => say(text, 'progress', 'change'));
      };
      /** @param {{ outputSide: number, maxInputPixels?: number }} limits */
      const send = async (limits) =>
        api.upload(
          `/api/chats/${request.chat.id}/avatar`,
          await buildUploadForm(request.file, request.crop, limits, request.way, request.framed),
          (share) => {
            progress.value = Math.round(share * 100);
            // The bytes are out; the rest is our server and Bitrix24.
            if (share > 0) stopBusyCountdown();
            if (share >= 1 && !saving) {
              saving = true;
              say(t.saving, 'progress');
              startQueueWait(api, t, (text) => say(text, 'progress', 'change'));
            }
          },
          { onBusy, changeKey },
        );
      /** @type {ChangeAnswer} */
      let answer;
      try {
        answer = await send(data.limits);
      } catch (caught) {
        // An administrator made the avatar larger since this page opened: render for the new side, once.
        const refused = /** @type {ApiError} */ (caught);
        const side = Number(refused.fields?.outputSide);
        if (refused.code !== 'OUTPUT_SIDE_CHANGED' || !(side > 0)) throw caught;
        data.limits.outputSide = side;
        saving = false;
        answer = await send(data.limits);
      }
      lastTry = null;
      progress.value = 100;
      offerUndo(undoDeps, {
        chat: request.chat,
        changeKey,
        answer,
        text: t.success.replace('{chat}', request.chat.title),
      });
      picker.updateAvatar(request.chat.id, request.previewUrl);
      history.refresh();
      if (chat?.id === request.chat.id && request.previewUrl)
        chatAvatarNode(
          { title: chosenTitle.textContent ?? '', avatarUrl: request.previewUrl, color: null },
          chosenAvatar,
        );
    } catch (caught) {
      const error = /** @type {ApiError} */ (caught);
      if (error.code === 'NOT_AUTHENTICATED') {
        // Renewed in place, the same change (lastTry keeps its key) is sent again.
        offerRenewal({ api, strings: t, say, slot: 'change', onRenewed: () => apply.click() });
      } else if (error.code === 'BOT_JOIN_DENIED' && error.fields?.userWay && request.way === 'bot') {
        // The bot cannot join and only the owner can add it: the user may make the change themselves.
        showAccess({ text: error.message, kind: 'info', offerUserWay: true });
        say(error.message, 'error', 'change', {
          label: t.changeAsYourself,
          run: () => {
            changeAsYourself();
            apply.click();
          },
        });
      } else if (error.status === 503 || error.status === 429 || error.code === 'CHANGE_IN_PROGRESS') {
        // The retries gave up: Retry sends the same change again (lastTry keeps its key).
        say(
          error.status === 503 && error.retryAfter
            ? t.busy.replace('{seconds}', String(error.retryAfter))
            : error.message,
          'error',
          'change',
          { label: t.retryButton, run: () => apply.click() },
        );
      } else {
        // Every answer of the app has a code; a failure without one is the page's own, in
        // preparing the picture to send (crop-render.js), whose words are for developers.
        say(error.code ? error.message : t.renderFailed, 'error');
      }
    } finally {
      stopBusyCountdown();
      stopQueueWait();
      freeze(false);
      apply.removeAttribute('aria-disabled');
      apply.removeAttribute('aria-busy');
      progress.hidden = true;
      refreshApply();
      // Where the user looks: the result beside the button they pressed, with a little room
      // below it (the slot's padding), once the layout has settled.
      requestAnimationFrame(() => message.parentElement?.scrollIntoView({ block: 'nearest' }));
    }
  });

  // Opened from a chat's sidebar: that chat, by its title, and the list only on request.
  changeChat.addEventListener('click', () => {
    chatsCard.hidden = false;
    changeChat.hidden = true;
    byId('chat-search').focus();
  });

  if (data.user.isAdmin) {
    const admin = createAdmin({
      api,
      data,
      say,
      chatTitle: (id) => picker.titleOf(id),
      // The company's colour offered at once in Make one and many chats, not at the next opening.
      onSettingsSaved: (settings) => showBrandColour(document, settings.brandColour ?? null),
    });
    setUpTabs((panel) => {
      setActiveSlot(panel);
      unsay();
      void admin.show(panel);
    });
  }
  if (data.initialChatId) {
    chatsCard.hidden = true;
    imageStep.hidden = true;
    picker.preselect(data.initialChatId);
  }
  refreshApply();
  // Every control now answers: the page comes alive (served inert, views/app-page.ts).
  byId('app').inert = false;
  await picker.load();
}

void main();
