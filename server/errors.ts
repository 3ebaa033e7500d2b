// One catalogue of every error the app answers with: a stable code, its HTTP status and one
// sentence per language. Bitrix24's own codes (the error table of imbot.chat.updateAvatar's page)
// are listed too, so that they reach the user as a sentence and not as a raw code.

export type Lang = 'en' | 'ru';

interface ErrorSpec {
  status: number;
  en: string;
  ru: string;
}

const catalogue = {
  // Ours
  NOT_AUTHENTICATED: { status: 401, en: 'Your session has expired. Open the app from Bitrix24 again.', ru: 'Сессия истекла. Откройте приложение из Битрикс24 ещё раз.' },
  ADMIN_ONLY: { status: 403, en: 'Only Bitrix24 administrators can open the app settings.', ru: 'Настройки приложения доступны только администраторам Битрикс24.' },
  APP_ACCESS_DENIED: { status: 403, en: 'Your administrator has not allowed you to use this app.', ru: 'Администратор не разрешил вам пользоваться этим приложением.' },
  PORTAL_NOT_INSTALLED: { status: 403, en: 'The app is not installed on this Bitrix24. Ask your administrator to install it.', ru: 'Приложение не установлено в этом Битрикс24. Попросите администратора установить его.' },
  PORTAL_AUTH_LOST: { status: 409, en: 'The app has lost access to this Bitrix24. Ask your administrator to reinstall it.', ru: 'Приложение потеряло доступ к Битрикс24. Попросите администратора переустановить его.' },
  INSTALL_NOT_ADMIN: { status: 403, en: 'Only a Bitrix24 administrator can install the app.', ru: 'Установить приложение может только администратор Битрикс24.' },
  INSTALL_NOT_VERIFIED: { status: 401, en: 'Bitrix24 did not confirm this installation.', ru: 'Битрикс24 не подтвердил эту установку.' },
  EVENT_NOT_VERIFIED: { status: 401, en: 'The event could not be verified.', ru: 'Не удалось проверить событие.' },
  OPEN_FROM_BITRIX24: { status: 404, en: 'Open Chat Avatar from your Bitrix24: it is in the left menu and in the sidebar of group chats.', ru: 'Откройте «Аватар чата» из вашего Битрикс24: приложение есть в левом меню и на боковой панели групповых чатов.' },
  OAUTH_STATE_MISMATCH: { status: 400, en: 'The sign-in link has expired. Start again.', ru: 'Ссылка для входа устарела. Начните заново.' },
  INVALID_DOMAIN: { status: 400, en: 'Enter the address of your Bitrix24, for example company.bitrix24.com.', ru: 'Укажите адрес вашего Битрикс24, например company.bitrix24.ru.' },
  BAD_REQUEST: { status: 400, en: 'The request is not valid.', ru: 'Некорректный запрос.' },
  INVALID_CHAT_ID: { status: 400, en: 'Choose a chat first.', ru: 'Сначала выберите чат.' },
  INVALID_CROP: { status: 400, en: 'The selected area is outside the image.', ru: 'Выбранная область выходит за границы изображения.' },
  NO_FILE: { status: 400, en: 'Choose an image to upload.', ru: 'Выберите изображение для загрузки.' },
  UNEXPECTED_FIELD: { status: 400, en: 'The upload contains an unexpected field.', ru: 'Загрузка содержит неожиданное поле.' },
  FILE_TOO_LARGE: { status: 413, en: 'The file is too large.', ru: 'Файл слишком большой.' },
  BODY_TOO_LARGE: { status: 413, en: 'The request is too large.', ru: 'Запрос слишком большой.' },
  UNSUPPORTED_IMAGE: { status: 415, en: 'This file is not a supported image. Use JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF.', ru: 'Этот файл не является поддерживаемым изображением. Используйте JPEG, PNG, WebP, GIF, AVIF, HEIF или TIFF.' },
  IMAGE_TOO_LARGE: { status: 413, en: 'The image has too many pixels.', ru: 'В изображении слишком много пикселей.' },
  IMAGE_TOO_LARGE_FOR_FORMAT: { status: 413, en: 'The image has too many pixels for its format: AVIF and HEIF may have up to 10 megapixels, GIF up to 32, PNG and TIFF up to 40. Save it as JPEG or make it smaller.', ru: 'В изображении слишком много пикселей для его формата: в AVIF и HEIF допускается до 10 мегапикселей, в GIF до 32, в PNG и TIFF до 40. Сохраните его как JPEG или уменьшите.' },
  IMAGE_TOO_COSTLY: { status: 413, en: 'This image would need too much memory to process. Use a smaller image, or select a larger area of it.', ru: 'Для обработки этого изображения нужно слишком много памяти. Возьмите изображение поменьше или выделите большую его часть.' },
  INVALID_SETTINGS: { status: 422, en: 'Some settings are not valid.', ru: 'Некоторые настройки указаны неверно.' },
  NOT_FOUND: { status: 404, en: 'Not found.', ru: 'Не найдено.' },
  UPLOAD_TOO_SLOW: { status: 408, en: 'The upload was too slow and has been stopped. Check the connection and try again.', ru: 'Загрузка шла слишком медленно и была остановлена. Проверьте соединение и попробуйте ещё раз.' },
  // Never shown: the client has gone (nginx's 499); the code names the cancelled work in logs and the audit log.
  CLIENT_GONE: { status: 499, en: 'The upload was cancelled.', ru: 'Загрузка отменена.' },
  RATE_LIMITED: { status: 429, en: 'Too many requests. Wait a minute and try again.', ru: 'Слишком много запросов. Подождите минуту и попробуйте снова.' },
  SERVER_BUSY: { status: 503, en: 'The server is busy. Try again in a few seconds.', ru: 'Сервер занят. Попробуйте через несколько секунд.' },
  BITRIX24_UNAVAILABLE: { status: 502, en: 'Bitrix24 did not answer. Try again in a minute.', ru: 'Битрикс24 не ответил. Попробуйте через минуту.' },
  BITRIX24_ERROR: { status: 502, en: 'Bitrix24 refused the request.', ru: 'Битрикс24 отклонил запрос.' },
  SETUP_REFUSED: { status: 502, en: 'Bitrix24 refused part of the setup. The Status tab shows what is missing.', ru: 'Битрикс24 отклонил часть настройки. Что именно — показано на вкладке «Состояние».' },
  NOT_CHAT_MEMBER: { status: 403, en: 'You are not a member of this chat, so you cannot change its avatar.', ru: 'Вы не участник этого чата, поэтому не можете менять его аватар.' },
  CHAT_AVATAR_LOCKED: { status: 403, en: 'The avatar of this chat cannot be changed.', ru: 'Аватар этого чата нельзя изменить.' },
  CHAT_OWNER_ONLY: { status: 403, en: 'Only the owner of this chat can change its avatar.', ru: 'Менять аватар этого чата может только его владелец.' },
  CHAT_MANAGERS_ONLY: { status: 403, en: 'Only the owner and managers of this chat can change its avatar.', ru: 'Менять аватар этого чата могут только владелец и администраторы чата.' },
  BOT_JOIN_DENIED: { status: 403, en: 'The app’s bot is not in this chat, and you may not add members to it. Ask the chat’s owner to add “Chat Avatar” to the chat.', ru: 'Бота приложения нет в этом чате, а добавлять участников вы не можете. Попросите владельца чата добавить в него «Chat Avatar».' },
  USER_ACCESS_ERROR: { status: 403, en: 'Your Bitrix24 administrator has not given you access to this app.', ru: 'Администратор Битрикс24 не открыл вам доступ к этому приложению.' },
  OVERLOAD_LIMIT: { status: 503, en: 'Bitrix24 has paused app access to this portal. Ask your administrator to contact Bitrix24 support.', ru: 'Битрикс24 приостановил доступ приложений к порталу. Попросите администратора обратиться в поддержку Битрикс24.' },
  INTERNAL: { status: 500, en: 'Something went wrong on our side.', ru: 'Что-то пошло не так на нашей стороне.' },

  // Bitrix24's codes from imbot.chat.updateAvatar's page and the REST system errors
  CHAT_ID_EMPTY: { status: 400, en: 'Choose a chat first.', ru: 'Сначала выберите чат.' },
  ACCESS_DENIED: { status: 403, en: 'You do not have permission to change this chat’s avatar.', ru: 'У вас нет прав менять аватар этого чата.' },
  ACCESS_ERROR: { status: 403, en: 'The avatar of this chat cannot be changed.', ru: 'Аватар этого чата нельзя изменить.' },
  AVATAR_ERROR: { status: 422, en: 'Bitrix24 did not accept this image.', ru: 'Битрикс24 не принял это изображение.' },
  WRONG_REQUEST: { status: 404, en: 'This chat does not exist.', ru: 'Такого чата не существует.' },
  BOT_ID_ERROR: { status: 409, en: 'The app’s chat bot is missing. Ask your administrator to repair it in the app settings.', ru: 'Чат-бот приложения не найден. Попросите администратора восстановить его в настройках приложения.' },
  APP_ID_ERROR: { status: 409, en: 'The chat bot belongs to another application. Ask your administrator to repair it in the app settings.', ru: 'Чат-бот принадлежит другому приложению. Попросите администратора восстановить его в настройках приложения.' },
  QUERY_LIMIT_EXCEEDED: { status: 503, en: 'Bitrix24 is busy. Try again in a few seconds.', ru: 'Битрикс24 перегружен. Попробуйте через несколько секунд.' },
  // limits.md: the method is blocked for this application until Bitrix24's time basket resets.
  OPERATION_TIME_LIMIT: { status: 429, en: 'Bitrix24 has paused avatar changes from this app for a few minutes. Try again later.', ru: 'Битрикс24 приостановил смену аватаров из этого приложения на несколько минут. Попробуйте позже.' },
} satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof catalogue;

export function isKnownCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(catalogue, code);
}

function statusOf(code: ErrorCode): number {
  return catalogue[code].status;
}

export function messageOf(code: ErrorCode, lang: Lang): string {
  return catalogue[code][lang];
}

/** An error we expect and can explain to the user; `detail` goes to the log only. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail?: string;
  readonly fields?: Record<string, string>;
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, opts: { detail?: string; fields?: Record<string, string>; status?: number; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(opts.detail ? `${code}: ${opts.detail}` : code, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = opts.status ?? statusOf(code);
    this.detail = opts.detail;
    this.fields = opts.fields;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}
