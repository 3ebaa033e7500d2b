/** Escapes text for HTML element content and quoted attribute values. */
function escapeHtml(value: unknown): string {
  return String(value).replace(
    /[&<>"'`]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[c]!,
  );
}

/**
 * Markup that is already safe to place in a page: written by `html` (which escaped every value
 * in it) or marked by `raw`. Only this type reaches a page unescaped, so forgetting to escape a
 * value is not possible: a plain string is always escaped.
 */
export class SafeHtml {
  readonly #markup: string;
  constructor(markup: string) {
    this.#markup = markup;
  }
  toString(): string {
    return this.#markup;
  }
}

/** A value `html` accepts: a fragment or an array of fragments stays as it is; anything else is escaped. */
export type HtmlValue = SafeHtml | string | number | boolean | readonly HtmlValue[];

function interpolate(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(interpolate).join('');
  return escapeHtml(value);
}

/**
 * The page template: html`<p>${text}</p>` escapes `text` unless it is itself a SafeHtml. The
 * template text is the page byte for byte, which is why .prettierrc.json turns off Prettier's
 * embedded-language formatting: it would reflow these templates as HTML.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += interpolate(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/**
 * Markup built elsewhere and already safe for where it goes, passed through unescaped. Every use
 * is a security decision: keep them few, and say at each one why the string is safe.
 */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** JSON safe inside <script type="application/json">: nothing in it can close the tag or open a comment. */
export function jsonForScript(value: unknown): SafeHtml {
  // Escaped for the script data block, where HTML entities would not be decoded: raw on purpose.
  return raw(
    JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029'),
  );
}

/** Maps a plain asset path to the URL the page names (server/http/static-assets.ts hashes it). */
export type AssetUrl = (path: string) => string;
export const plainAssetUrl: AssetUrl = (path) => path;

export function layout(opts: {
  lang: string;
  title: string;
  head?: SafeHtml;
  body: SafeHtml;
  bodyClass?: string;
  assetUrl?: AssetUrl;
}): string {
  const asset = opts.assetUrl ?? plainAssetUrl;
  return html`<!doctype html>
<html lang="${opts.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${opts.title}</title>
<link rel="stylesheet" href="${asset('/static/air-tokens.css')}">
<link rel="stylesheet" href="${asset('/static/controls.css')}">
<link rel="stylesheet" href="${asset('/static/app.css')}">
${opts.head ?? ''}
</head>
<body class="${opts.bodyClass ?? ''}">
${opts.body}
</body>
</html>`.toString();
}
