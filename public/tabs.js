import { byId } from './dom.js';

// The administrators' tab row (ARIA tabs): a click or the arrow keys, Home and End choose a
// tab, which shows its panel and hides the others.

/** @import { PageId } from './page' */

/** @param {(panel: string) => void} onShow the chosen tab's name: change, settings, status or audit */
export function setUpTabs(onShow) {
  const tabs = [.../** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('[role="tab"]'))];
  /** @param {HTMLButtonElement} tab */
  const activate = (tab) => {
    for (const other of tabs) {
      const isSelected = other === tab;
      other.setAttribute('aria-selected', String(isSelected));
      other.tabIndex = isSelected ? 0 : -1;
      // Each tab names its panel (panel-change, panel-settings, …) in aria-controls.
      byId(/** @type {PageId} */ (other.getAttribute('aria-controls'))).hidden = !isSelected;
    }
    // In a narrow frame the tab row scrolls: the chosen tab is brought fully into it.
    tab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    onShow(tab.id.replace('tab-', ''));
  };
  const row = tabs[0]?.parentElement;
  if (row) showMoreTabs(row);
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => activate(tab));
    tab.addEventListener('keydown', (event) => {
      /** @type {Record<string, number>} */
      const keys = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
      if (!(event.key in keys)) return;
      event.preventDefault();
      const next = tabs[(keys[event.key] + tabs.length) % tabs.length];
      next.focus();
      activate(next);
    });
  });
}

/**
 * A row too narrow for its tabs scrolls; it fades at the side where more tabs are, so the cut
 * reads as "more this way" (data-more: start, end or both; controls.css draws the fade).
 * @param {HTMLElement} row
 */
function showMoreTabs(row) {
  const update = () => {
    const end = row.scrollWidth - row.clientWidth;
    // scrollLeft is negative in a right-to-left row: its start is on the right.
    const scrolled = Math.abs(row.scrollLeft);
    const before = scrolled > 1;
    const after = end - scrolled > 1;
    if (before || after) row.dataset.more = before && after ? 'both' : before ? 'start' : 'end';
    else delete row.dataset.more;
  };
  row.addEventListener('scroll', update, { passive: true });
  new ResizeObserver(update).observe(row);
  update();
}
