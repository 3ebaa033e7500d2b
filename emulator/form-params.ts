// Nested form keys as PHP (and Bitrix24) read them, `qs` semantics: `a[b][c]=1`, `a[]=1`.
// Needed for batch sub-queries (`cmd[key]=method?USERS[]=1&PROPERTIES[NAME]=x`), which arrive
// as plain strings (settings/how-to-call-rest-api/batch.md, data-encoding.md).

type Tree = Record<string, unknown>;

function keyPath(key: string): string[] {
  const first = key.indexOf('[');
  if (first <= 0) return [key];
  const path = [key.slice(0, first)];
  for (const match of key.slice(first).matchAll(/\[([^\]]*)\]/g)) path.push(match[1] ?? '');
  return path;
}

function assign(target: Tree, path: string[], value: string): void {
  let node: Tree = target;
  for (let i = 0; i < path.length; i++) {
    let part = path[i]!;
    const last = i === path.length - 1;
    if (part === '') part = String(Object.keys(node).length);
    // Refuse prototype keys: a sub-query is data from the network.
    if (part === '__proto__' || part === 'constructor' || part === 'prototype') return;
    if (last) {
      node[part] = value;
      return;
    }
    const next = node[part];
    if (typeof next !== 'object' || next === null) node[part] = {};
    node = node[part] as Tree;
  }
}

/** Objects whose keys are 0..n-1 become arrays, as PHP lists arrive in JSON. */
function listify(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const tree = value as Tree;
  for (const key of Object.keys(tree)) tree[key] = listify(tree[key]);
  const keys = Object.keys(tree);
  return keys.length > 0 && keys.every((k, i) => k === String(i)) ? keys.map((k) => tree[k]) : tree;
}

export function parseFormQuery(query: string): Tree {
  const out: Tree = {};
  for (const [key, value] of new URLSearchParams(query)) assign(out, keyPath(key), value);
  return listify(out) as Tree;
}
