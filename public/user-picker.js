// The access list, chosen by name: typing asks /api/admin/users?search= (Bitrix24's
// user.search); a pick becomes a chip with a remove button. A combobox with a listbox
// (ARIA 1.2): arrows move through the results, Enter picks, Escape closes.

/** @import { Api, ApiError, PortalUser, UiStrings } from './page' */

/**
 * @param {object} options
 * @param {Api} options.api
 * @param {UiStrings} options.strings
 * @param {HTMLInputElement} options.input the search box
 * @param {HTMLUListElement} options.results the listbox of the users found
 * @param {HTMLUListElement} options.chips the users chosen
 * @param {(error: ApiError) => void} options.onError a search that failed
 */
export function createUserPicker({ api, strings: t, input, results, chips, onError }) {
  /** @type {PortalUser[]} */
  let chosen = [];
  /** @type {PortalUser[]} */
  let found = [];
  let active = -1;
  let asked = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  function renderChips() {
    chips.replaceChildren();
    if (!chosen.length) {
      const none = document.createElement('li');
      none.className = 'hint user-none';
      none.textContent = t.usersNoneChosen;
      chips.append(none);
    }
    for (const user of chosen) {
      const li = document.createElement('li');
      li.className = 'user-chip';
      li.dataset.userId = String(user.id);
      const name = document.createElement('span');
      name.textContent = user.name;
      if (user.position) name.title = user.position;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'user-chip-remove';
      remove.textContent = '×';
      remove.setAttribute('aria-label', t.userRemove.replace('{name}', user.name));
      remove.addEventListener('click', () => {
        chosen = chosen.filter((u) => u.id !== user.id);
        renderChips();
        input.focus();
      });
      li.append(name, remove);
      chips.append(li);
    }
  }

  function close() {
    results.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }

  /** @param {string} message shown below the users found; none when empty */
  function renderResults(message) {
    results.replaceChildren();
    found.forEach((user, index) => {
      const li = document.createElement('li');
      li.id = `user-option-${user.id}`;
      li.className = 'user-option';
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(index === active));
      const name = document.createElement('span');
      name.textContent = user.name;
      li.append(name);
      if (user.position) {
        const position = document.createElement('span');
        position.className = 'hint';
        position.textContent = user.position;
        li.append(position);
      }
      // mousedown, not click: the input must not lose focus (and close the list) first.
      li.addEventListener('mousedown', (event) => {
        event.preventDefault();
        pick(user);
      });
      results.append(li);
    });
    if (message) {
      const li = document.createElement('li');
      li.className = 'hint user-empty';
      li.textContent = message;
      results.append(li);
    }
    results.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    const current = found[active];
    if (current) input.setAttribute('aria-activedescendant', `user-option-${current.id}`);
    else input.removeAttribute('aria-activedescendant');
  }

  /** @param {PortalUser} user */
  function pick(user) {
    if (!chosen.some((u) => u.id === user.id)) chosen = [...chosen, user];
    renderChips();
    input.value = '';
    found = [];
    close();
  }

  /** @param {string} text */
  async function search(text) {
    const mine = ++asked;
    try {
      /** @type {{ users: PortalUser[] }} */
      const answer = await api.get(`/api/admin/users?search=${encodeURIComponent(text)}`);
      // An earlier, slower answer must not replace the results of what is typed now.
      if (mine !== asked) return;
      found = answer.users.filter((user) => !chosen.some((u) => u.id === user.id));
      active = found.length ? 0 : -1;
      renderResults(found.length ? '' : t.userNoneFound);
    } catch (error) {
      if (mine === asked) onError(/** @type {ApiError} */ (error));
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (!text) {
      ++asked;
      close();
      return;
    }
    timer = setTimeout(() => void search(text), 200);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (!found.length) return;
      event.preventDefault();
      active = (active + (event.key === 'ArrowDown' ? 1 : found.length - 1)) % found.length;
      renderResults('');
    } else if (event.key === 'Enter') {
      // Enter in the search box picks; it never submits the settings form.
      event.preventDefault();
      const current = found[active];
      if (!results.hidden && current) pick(current);
    } else if (event.key === 'Escape' && !results.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener('blur', close);

  return {
    ids: () => chosen.map((u) => u.id),
    /**
     * Shows the saved list at once by id, then by name once Bitrix24 has named them.
     * @param {number[]} ids
     */
    async choose(ids) {
      // Users already named (just picked, or shown before a save) keep their names.
      chosen = ids.map((id) => chosen.find((u) => u.id === id) ?? { id, name: `#${id}`, position: '' });
      renderChips();
      if (!chosen.some((u) => u.name === `#${u.id}`)) return;
      try {
        /** @type {{ users: PortalUser[] }} */
        const { users } = await api.get(`/api/admin/users?ids=${ids.join(',')}`);
        const byId = new Map(users.map((u) => [u.id, u]));
        chosen = chosen.map((u) => byId.get(u.id) ?? u);
        renderChips();
      } catch {
        // The ids stay shown as #id; saving keeps them either way.
      }
    },
  };
}
