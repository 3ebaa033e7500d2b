// Elements by id, checked: an id is one of PageElements (page.d.ts), so a typo fails the
// type-check, and test/views/page-ids.test.ts holds that list to the ids the templates render.

/** @import { PageElements, PageId } from './page' */

/**
 * The element with this id, which the page renders: a missing one throws here, where the
 * script and the template disagree, rather than as a null somewhere later.
 * @template {PageId} K
 * @param {K} id
 * @returns {PageElements[K]}
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is not on this page`);
  return /** @type {PageElements[K]} */ (element);
}

/**
 * The element with this id, or null on a page that leaves it out (the SDK's script outside
 * the portal).
 * @template {PageId} K
 * @param {K} id
 * @returns {PageElements[K] | null}
 */
export function maybeById(id) {
  return /** @type {PageElements[K] | null} */ (document.getElementById(id));
}
