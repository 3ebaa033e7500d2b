import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAppPage } from '../../views/app-page';
import { renderInstallPage } from '../../views/install-page';
import { appPageModel } from './model';

// The scripts in public/ take the templates' elements by id. PageElements in public/page.d.ts is
// the one list of those ids, with the element each one is; byId (public/dom.js) takes only
// those, which `npm run typecheck` checks. This test holds that list, and every id a script
// names, to the pages the templates render: an id renamed on one side fails here.

const PUBLIC = join(__dirname, '..', '..', 'public');
const scripts = readdirSync(PUBLIC).filter((name) => name.endsWith('.js'));

interface Page {
  name: string;
  /** Each id on the page, with the tag of the element that has it. */
  ids: Map<string, string>;
}

function page(name: string, html: string): Page {
  const ids = new Map<string, string>();
  for (const [, tag, id] of html.matchAll(/<([a-z][a-z0-9-]*)\b[^>]*?\sid="([^"]+)"/g)) ids.set(id!, tag!);
  return { name, ids };
}

const admin = { id: 1, name: 'Anna', isAdmin: true };
const user = page('the app page (a user, outside the portal)', renderAppPage(appPageModel({ inFrame: false })));
const framed = page('the app page (a user, in the portal)', renderAppPage(appPageModel({ inFrame: true })));
const adminPage = page('the app page (an administrator)', renderAppPage(appPageModel({ inFrame: true, user: admin })));
const install = page('the install page', renderInstallPage({ lang: 'en', ok: true, message: '' }));
const allPages = [user, framed, adminPage, install];

/** The pages each script runs on. An id it takes with byId must be on every one of them. */
const appPages = [user, framed, adminPage];
const PAGES_OF: Record<string, Page[]> = {
  'app.js': appPages,
  'api.js': appPages,
  'chat-picker.js': appPages,
  'cropper.js': appPages,
  'crop-render.js': appPages,
  'dom.js': appPages,
  'format.js': appPages,
  'image-facts.js': appPages,
  'image-size.js': appPages,
  'orientation.js': appPages,
  'file-format.js': appPages,
  'renewal-offer.js': appPages,
  'busy-countdown.js': appPages,
  'clipboard-paste.js': appPages,
  'queue-wait.js': appPages,
  'chat-access.js': appPages,
  'image-choice.js': appPages,
  'message.js': appPages,
  'portal-frame.js': appPages,
  'range-fill.js': appPages,
  'bulk.js': appPages,
  'bulk-undo.js': appPages,
  'made-avatar.js': appPages,
  'make-one.js': appPages,
  'swatches.js': appPages,
  'chat-history.js': appPages,
  'initials.js': appPages,
  'undo-offer.js': appPages,
  // Started by app.js for administrators only.
  'tabs.js': [adminPage],
  'admin.js': [adminPage],
  'admin-settings.js': [adminPage],
  'admin-status.js': [adminPage],
  'admin-audit.js': [adminPage],
  'audit-groups.js': [adminPage],
  'user-picker.js': [adminPage],
  'number-field.js': [adminPage],
  'colour-field.js': [adminPage],
  'install.js': [install],
};

/** PageElements' ids, each with the element type it is declared as. */
function declaredIds(): Map<string, string> {
  const source = readFileSync(join(PUBLIC, 'page.d.ts'), 'utf8');
  const body = /export interface PageElements \{([\s\S]*?)\n\}/.exec(source)?.[1];
  if (!body) throw new Error('no PageElements in public/page.d.ts');
  const declared = new Map<string, string>();
  for (const [, quoted, bare, type] of body.matchAll(/^\s*(?:'([^']+)'|([\w-]+))\s*:\s*(\w+);/gm))
    declared.set((quoted ?? bare)!, type!);
  return declared;
}

/** The element type a declared id promises, as the tags that make it; HTMLElement is any element. */
const TAGS: Record<string, string[] | 'any'> = {
  HTMLElement: 'any',
  HTMLButtonElement: ['button'],
  HTMLCanvasElement: ['canvas'],
  HTMLDetailsElement: ['details'],
  HTMLDivElement: ['div'],
  HTMLDListElement: ['dl'],
  HTMLFormElement: ['form'],
  HTMLInputElement: ['input'],
  HTMLParagraphElement: ['p'],
  HTMLProgressElement: ['progress'],
  HTMLScriptElement: ['script'],
  HTMLSelectElement: ['select'],
  HTMLSpanElement: ['span'],
  HTMLTableElement: ['table'],
  HTMLUListElement: ['ul'],
};

interface Use {
  script: string;
  id: string;
  how: string;
  /** byId throws without it: it must be on every page the script runs on, not only on some. */
  required: boolean;
}

/** Every id a script names as a literal: byId, maybeById, getElementById, and `#id` in a selector. */
function usesOf(script: string): Use[] {
  const source = readFileSync(join(PUBLIC, script), 'utf8');
  const uses: Use[] = [];
  for (const [, how, id] of source.matchAll(/\b(byId|maybeById|getElementById)\(\s*'([^']+)'\s*\)/g))
    uses.push({ script, id: id!, how: how!, required: how === 'byId' });
  for (const [, how, , selector] of source.matchAll(/\b(querySelector(?:All)?|closest)\(\s*(['"`])(.*?)\2/g))
    for (const [, id] of selector!.matchAll(/#([\w.-]+)/g)) uses.push({ script, id: id!, how: how!, required: false });
  return uses;
}

describe('the ids the scripts take, and the pages that render them', () => {
  const declared = declaredIds();
  const uses = scripts.flatMap(usesOf);

  it('finds the list, the pages and the uses it checks', () => {
    expect(declared.size).toBeGreaterThan(40);
    expect(adminPage.ids.size).toBeGreaterThan(declared.size);
    expect(uses.filter((use) => use.how === 'byId').length).toBeGreaterThan(30);
  });

  it('knows the pages of every script in public/', () => {
    expect(scripts.filter((script) => !PAGES_OF[script])).toEqual([]);
  });

  it('renders every id of PageElements, on the element it is declared as', () => {
    const problems: string[] = [];
    for (const [id, type] of declared) {
      const tags = TAGS[type];
      if (!tags) {
        problems.push(`#${id} is declared as ${type}: add its tag to TAGS in this test`);
        continue;
      }
      const rendered = allPages.filter((p) => p.ids.has(id));
      if (!rendered.length) problems.push(`#${id} (public/page.d.ts) is rendered by no page`);
      for (const p of rendered) {
        const tag = p.ids.get(id)!;
        if (tags !== 'any' && !tags.includes(tag)) problems.push(`#${id} is a <${tag}> on ${p.name}, declared ${type}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has every id a script names in PageElements, and on the pages the script runs on', () => {
    const problems: string[] = [];
    for (const use of uses) {
      const where = `${use.script} takes #${use.id} (${use.how})`;
      if (!declared.has(use.id)) problems.push(`${where}, which public/page.d.ts's PageElements does not list`);
      const pages = PAGES_OF[use.script] ?? [];
      const missing = pages.filter((p) => !p.ids.has(use.id));
      if (use.required) for (const p of missing) problems.push(`${where}, which ${p.name} does not render`);
      else if (missing.length === pages.length) problems.push(`${where}, which none of its pages renders`);
    }
    expect(problems).toEqual([]);
  });

  it('takes every element by a literal id or through byId, which the type-check holds to the list', () => {
    const dynamic = scripts
      .filter((script) => script !== 'dom.js')
      .flatMap((script) =>
        [...readFileSync(join(PUBLIC, script), 'utf8').matchAll(/\bgetElementById\((?!\s*'[^']+'\s*\))[^)]*\)/g)].map(
          (match) => `${script}: ${match[0]}`,
        ),
      );
    expect(dynamic).toEqual([]);
  });
});
