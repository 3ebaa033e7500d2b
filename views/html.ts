/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(
    /[&<>"'`]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[c]!,
  );
}

/** JSON safe inside <script type="application/json">: nothing in it can close the tag or open a comment. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Maps a plain asset path to the URL the page names (server/http/static-assets.ts hashes it). */
export type AssetUrl = (path: string) => string;
export const plainAssetUrl: AssetUrl = (path) => path;

export function layout(opts: {
  lang: string;
  title: string;
  head?: string;
  body: string;
  bodyClass?: string;
  assetUrl?: AssetUrl;
}): string {
  const asset = opts.assetUrl ?? plainAssetUrl;
  return `<!doctype html>
<html lang="${escapeHtml(opts.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<link rel="stylesheet" href="${escapeHtml(asset('/static/app.css'))}">
${opts.head ?? ''}
</head>
<body class="${escapeHtml(opts.bodyClass ?? '')}">
${opts.body}
</body>
</html>`;
}
