import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Every request the app makes to a portal or to the OAuth server names the app and its version,
// so that Bitrix24's support, and a portal's administrator reading the web server's log, can tell
// its requests from anyone else's (RFC 9110 §10.1.5: product/version, then a comment).

interface PackageFacts {
  name: string;
  version: string;
  /** The project's public page, if it has one (package.json `homepage`). */
  homepage?: string;
}

/** `name/version`, then `(+URL)` when the project has a public page. */
export function userAgentOf(pkg: PackageFacts): string {
  const product = `${pkg.name}/${pkg.version}`;
  return pkg.homepage ? `${product} (+${pkg.homepage})` : product;
}

function readPackage(): PackageFacts {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as Partial<PackageFacts>;
  return {
    name: typeof pkg.name === 'string' ? pkg.name : 'chat-avatar-bitrix24',
    version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
    homepage: typeof pkg.homepage === 'string' && /^https:\/\//.test(pkg.homepage) ? pkg.homepage : undefined,
  };
}

/** The app's User-Agent, from package.json: the one every outbound request carries (http-json.ts). */
export const APP_USER_AGENT = userAgentOf(readPackage());
