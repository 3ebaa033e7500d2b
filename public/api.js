// Every /api call carries the app token as a Bearer header (never a cookie). Before the token
// expires, or after a 401, it is renewed once and the call retried once.

const RENEW_BEFORE_MS = 2 * 60 * 1000;
const BUSY_RETRIES = 4;
const DEFAULT_RETRY_AFTER_S = 2;
const MAX_RETRY_AFTER_S = 30;
/** Asks about a change Bitrix24 has not answered for (202 "checking"): the server settles it within about 40 s. */
const CHECKING_ASKS = 30;
/** Busy statuses that no wait will clear: Bitrix24 has blocked the portal until support acts. */
const LASTING_REFUSALS = new Set(['OVERLOAD_LIMIT']);

/** @import { ApiError, AppData, B24Frame } from './page' */

/**
 * `frameReady`: a promise of the B24Frame, or of null outside the portal or when it failed.
 * @param {{ data: AppData, frameReady: Promise<B24Frame | null> }} options
 */
export function createApi({ data, frameReady }) {
  let token = /** @type {HTMLMetaElement} */ (document.querySelector('meta[name="app-token"]')).content;
  let expiresAt = data.appTokenExpiresAt;
  let renewing = null;

  // Inside the portal: fresh portal auth from B24Frame, traded for a new app token. Outside it:
  // the first-party session cookie still holds, so the page is fetched again for its new token
  // (the user keeps the crop they were working on); only when that fails is the page reloaded.
  /** @param {B24Frame} frame */
  async function renewFromFrame(frame) {
    // A parent that never answers is cut off by the SDK itself (JSSDK_FRAME_REFRESH_AUTH_TIMEOUT).
    // Whatever the SDK throws (a timeout, a closed portal tab) means the same to the user: the
    // portal gave no fresh auth. Its own words are for developers and never reach the page.
    const auth = await frame.auth.refreshAuth().catch(() => null);
    if (!auth || !auth.access_token) throw new Error('no portal auth');
    const res = await fetch('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        memberId: data.portal.memberId,
        accessToken: auth.access_token,
        refreshToken: auth.refresh_token || undefined,
        expiresIn: auth.expires_in,
        lang: data.lang,
      }),
    });
    if (!res.ok) throw await toError(res);
    const body = await res.json();
    return { token: body.appToken, expiresAt: body.expiresAt };
  }

  async function renewFromSession() {
    const res = await fetch('/app', {
      credentials: 'same-origin',
      redirect: 'error',
      headers: { accept: 'text/html' },
    });
    if (!res.ok) throw new Error('session page ' + res.status);
    const page = new DOMParser().parseFromString(await res.text(), 'text/html');
    const next = /** @type {HTMLMetaElement | null} */ (page.querySelector('meta[name="app-token"]'))?.content;
    /** @type {AppData | null} */
    const pageData = JSON.parse(page.getElementById('app-data')?.textContent ?? 'null');
    if (!next || !pageData) throw new Error('no token in the session page');
    return { token: next, expiresAt: pageData.appTokenExpiresAt };
  }

  function renew() {
    renewing ??= (async () => {
      const frame = await frameReady;
      try {
        if (!frame && data.inFrame) throw new Error('no B24Frame to renew from');
        const fresh = frame ? await renewFromFrame(frame) : await renewFromSession();
        token = fresh.token;
        expiresAt = fresh.expiresAt;
      } catch (cause) {
        if (!frame && !data.inFrame) {
          window.location.reload();
          return new Promise(() => {});
        }
        const failure = /** @type {Partial<ApiError> | null | undefined} */ (cause);
        if (failure && failure.code && failure.code !== 'NOT_AUTHENTICATED' && failure.status) throw cause;
        const error = /** @type {ApiError} */ (new Error(data.strings.sessionExpired));
        error.code = 'NOT_AUTHENTICATED';
        error.status = 401;
        throw error;
      }
    })().finally(() => {
      renewing = null;
    });
    return renewing;
  }

  async function ensureFresh() {
    if (Date.now() > expiresAt - RENEW_BEFORE_MS) await renew();
  }

  /**
   * @param {Response} res
   * @returns {Promise<ApiError>}
   */
  async function toError(res) {
    let body = null;
    try {
      body = await res.json();
    } catch {
      // not JSON: keep the generic sentence
    }
    const error = /** @type {ApiError} */ (new Error(body?.error?.message ?? data.strings.networkError));
    error.code = body?.error?.code ?? 'HTTP_' + res.status;
    error.status = res.status;
    error.fields = body?.error?.fields ?? null;
    error.retryAfter = Number(res.headers.get('retry-after')) || null;
    return error;
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {{ json?: unknown, retry?: boolean }} [options]
   * @returns {Promise<Response>}
   */
  async function request(method, path, { json, retry = true } = {}) {
    await ensureFresh();
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(json ? { 'content-type': 'application/json' } : {}) },
        body: json ? JSON.stringify(json) : undefined,
      });
    } catch {
      const error = /** @type {ApiError} */ (new Error(data.strings.networkError));
      error.code = 'NETWORK';
      throw error;
    }
    if (res.status === 401 && retry) {
      await renew();
      return request(method, path, { json, retry: false });
    }
    if (!res.ok) throw await toError(res);
    return res;
  }

  /**
   * @param {string} path
   * @param {FormData} form
   * @param {(share: number) => void} onProgress
   * @param {string | undefined} changeKey
   * @returns {Promise<{ status: number, body: any, retryAfter: number | null }>}
   */
  function send(path, form, onProgress, changeKey) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', path);
      xhr.setRequestHeader('authorization', `Bearer ${token}`);
      if (changeKey) xhr.setRequestHeader('idempotency-key', changeKey);
      xhr.responseType = 'json';
      xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
      xhr.onload = () =>
        resolve({
          status: xhr.status,
          body: xhr.response,
          retryAfter: Number(xhr.getResponseHeader('retry-after')) || null,
        });
      xhr.timeout = 180_000;
      xhr.onerror = xhr.ontimeout = xhr.onabort = () => resolve({ status: 0, body: null, retryAfter: null });
      xhr.send(form);
    });
  }

  /**
   * A JSON POST that changes a chat (Undo, Restore), with its Idempotency-Key, answered as an upload's.
   * @param {string} path
   * @param {unknown} json
   * @param {string} changeKey
   * @returns {Promise<{ status: number, body: any, retryAfter: number | null }>}
   */
  async function sendJson(path, json, changeKey) {
    try {
      const res = await fetch(path, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': changeKey },
        body: JSON.stringify(json),
      });
      let body = null;
      try {
        body = await res.json();
      } catch {
        // not JSON: the status speaks
      }
      return { status: res.status, body, retryAfter: Number(res.headers.get('retry-after')) || null };
    } catch {
      return { status: 0, body: null, retryAfter: null };
    }
  }

  /**
   * Sends a change until its answer is the truth: a busy answer is retried after its Retry-After,
   * a 202 "checking" asked again with the same key, a lost answer sent again with it.
   * @param {() => Promise<{ status: number, body: any, retryAfter: number | null }>} sendOnce
   * @param {{ onBusy?: (retry: { attempt: number, seconds: number, checking?: boolean, code?: string }) => void, changeKey?: string }} options
   */
  async function untilAnswered(sendOnce, { onBusy, changeKey }) {
    let renewed = false;
    let busyRetries = 0;
    let checks = 0;
    for (;;) {
      await ensureFresh();
      const result = await sendOnce();
      if (result.status === 401 && !renewed) {
        renewed = true;
        await renew();
        continue;
      }
      if (result.status === 202 && result.body?.pending && checks < CHECKING_ASKS) {
        checks++;
        const seconds = Math.min(result.retryAfter ?? DEFAULT_RETRY_AFTER_S, MAX_RETRY_AFTER_S);
        onBusy?.({ attempt: checks, seconds, checking: true });
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        continue;
      }
      const code = result.body?.error?.code;
      const answerLost = Boolean(changeKey) && !code && [0, 502, 504].includes(result.status);
      if (
        (result.status === 503 || result.status === 429 || code === 'CHANGE_IN_PROGRESS' || answerLost) &&
        !LASTING_REFUSALS.has(code) &&
        busyRetries < BUSY_RETRIES
      ) {
        const seconds = result.retryAfter ?? DEFAULT_RETRY_AFTER_S;
        // A longer pause (Bitrix24 blocks a method for minutes) is the user's to wait out.
        if (seconds <= MAX_RETRY_AFTER_S) {
          busyRetries++;
          onBusy?.({ attempt: busyRetries, seconds, code });
          // A little spread, so the tabs refused together do not all come back together.
          await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + Math.random() * 500));
          continue;
        }
      }
      if (result.status === 200) return result.body;
      const stillChecking = result.status === 202;
      const error = /** @type {ApiError} */ (
        new Error(
          stillChecking ? data.strings.checkingGaveUp : (result.body?.error?.message ?? data.strings.networkError),
        )
      );
      error.code = result.body?.error?.code ?? (result.status ? 'HTTP_' + result.status : 'NETWORK');
      error.status = result.status;
      error.retryAfter = result.retryAfter;
      error.fields = result.body?.error?.fields ?? null;
      throw error;
    }
  }

  // The answers are JSON as the server sends it: the caller names its type.
  return {
    /** A fresh app token now (from the portal, or the session outside it); NOT_AUTHENTICATED when none comes. */
    renew: () => renew(),
    /** @param {string} path */
    get: async (path) => (await request('GET', path)).json(),
    /** @param {string} path @param {unknown} json */
    put: async (path, json) => (await request('PUT', path, { json })).json(),
    /** @param {string} path @param {unknown} [json] */
    post: async (path, json) => (await request('POST', path, { json: json ?? {} })).json(),
    /** @param {string} path */
    blob: async (path) => (await request('GET', path)).blob(),
    /**
     * Multipart upload with progress (XMLHttpRequest: fetch has no upload progress). A busy
     * answer (503 from our queue, 429 from Bitrix24's pause, 409 for an attempt of this change
     * still under way) is retried after its Retry-After, a few times, with `onBusy` told each
     * time; the caller's state (the crop) is untouched. With a `changeKey` (the same for every
     * try of one Apply) the server never makes a change twice, so a lost answer (the connection
     * dropped, a proxy's 502 or 504) is retried too.
     * @param {string} path
     * @param {FormData} form
     * @param {(share: number) => void} onProgress the share of the bytes sent, 0 to 1
     * A 202 says the change was sent and Bitrix24's answer never came: the server is finding out
     * from the chat, and the same key is asked again after its Retry-After (`checking` in onBusy)
     * until the answer is the truth: done, or an error.
     * @param {{ onBusy?: (retry: { attempt: number, seconds: number, checking?: boolean, code?: string }) => void, changeKey?: string }} [options]
     */
    async upload(path, form, onProgress, { onBusy, changeKey } = {}) {
      return untilAnswered(() => send(path, form, onProgress, changeKey), { onBusy, changeKey });
    },
    /**
     * Undo or Restore: a change of its own, with its own key, sent as an upload is (the same retries).
     * @param {string} path
     * @param {unknown} json
     * @param {{ changeKey: string, onBusy?: (retry: { attempt: number, seconds: number, checking?: boolean, code?: string }) => void }} options
     */
    async change(path, json, { changeKey, onBusy }) {
      return untilAnswered(() => sendJson(path, json, changeKey), { onBusy, changeKey });
    },
  };
}
