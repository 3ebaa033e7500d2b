import { connectColourField } from './colour-field.js';
import { byId } from './dom.js';
import { addNumberSteps } from './number-field.js';
import { createUserPicker } from './user-picker.js';

// The Settings tab: a form that keeps what was typed on an error and shows a sentence per
// field, and the access list chosen by name.

/** @import { Api, ApiError, SettingName, Settings, Say, UiStrings } from './page' */

/** @type {readonly SettingName[]} */
const SETTING_NAMES = [
  'outputSide',
  'outputFormat',
  'jpegQuality',
  'maxUploadBytes',
  'brandColour',
  'access.mode',
  'access.userIds',
];
/**
 * A field the form has: the server's sentences name fields by these names.
 * @param {string} name
 * @returns {name is SettingName}
 */
function isSettingName(name) {
  return SETTING_NAMES.some((known) => known === name);
}

const MB = 1024 * 1024;

/**
 * @param {object} options
 * @param {Api} options.api
 * @param {UiStrings} options.strings
 * @param {Say} options.say
 * @param {(settings: Settings) => void} [options.onSaved] the settings as saved, for the rest of the page
 */
export function createSettingsTab({ api, strings: t, say, onSaved }) {
  const form = byId('settings-form');
  addNumberSteps(form);
  /**
   * A setting's control.
   * @template {SettingName} N
   * @param {N} name
   */
  const field = (name) => byId(`setting-${name}`);
  /**
   * A setting's box: its label, its control and its error sentence.
   * @param {SettingName} name
   */
  const fieldBox = (name) => {
    const box = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!(box instanceof HTMLElement)) throw new Error(`no field ${name} in the settings form`);
    return box;
  };

  const picker = createUserPicker({
    api,
    strings: t,
    input: field('access.userIds'),
    results: byId('user-results'),
    chips: byId('access-users'),
    onError: (error) => say(error.message, 'error', 'settings'),
  });

  const brandColour = connectColourField(byId('brand-colour-swatch'), field('brandColour'));

  function clearErrors() {
    for (const span of form.querySelectorAll('.field-error')) span.textContent = '';
    for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  }

  // Loaded when the tab is first shown; coming back to the tab keeps what was typed, unsaved.
  let settingsLoaded = false;
  /** @param {Settings} settings */
  function fillSettings(settings) {
    field('outputSide').value = String(settings.outputSide);
    field('outputFormat').value = settings.outputFormat;
    field('jpegQuality').value = String(settings.jpegQuality);
    field('maxUploadBytes').value = String(Math.round((settings.maxUploadBytes / MB) * 10) / 10);
    brandColour.set(settings.brandColour);
    field('access.mode').value = settings.access.mode;
    void picker.choose(settings.access.userIds);
    showUserIds();
  }
  async function loadSettings() {
    if (settingsLoaded) return;
    /** @type {{ settings: Settings, limits: { maxUploadBytes: number } }} */
    const { settings, limits } = await api.get('/api/admin/settings');
    settingsLoaded = true;
    const max = String(Math.floor((limits.maxUploadBytes / MB) * 10) / 10);
    field('maxUploadBytes').max = max;
    const label = fieldBox('maxUploadBytes').querySelector('label');
    if (label) label.textContent = t.maxUpload.replace('{max}', max);
    fillSettings(settings);
    // Served inert until now (views/app-page.ts): typed before the settings came, a value would
    // be overwritten by them, and a save would send a form that was never filled.
    form.inert = false;
    form.removeAttribute('aria-busy');
  }
  // The user id list matters only for "administrators and these users".
  function showUserIds() {
    fieldBox('access.userIds').hidden = field('access.mode').value !== 'users';
  }
  field('access.mode').addEventListener('change', showUserIds);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const save = byId('settings-save');
    if (save.getAttribute('aria-disabled') === 'true') return;
    clearErrors();
    /** @param {string} value */
    const number = (value) => (value.trim() === '' ? null : Number(value));
    const body = {
      outputSide: number(field('outputSide').value),
      outputFormat: field('outputFormat').value,
      jpegQuality: number(field('jpegQuality').value),
      maxUploadBytes:
        number(field('maxUploadBytes').value) === null ? null : Math.round(Number(field('maxUploadBytes').value) * MB),
      access: { mode: field('access.mode').value, userIds: picker.ids() },
      brandColour: field('brandColour').value.trim(),
    };
    save.setAttribute('aria-disabled', 'true');
    try {
      /** @type {{ settings?: Settings } | null} */
      const saved = await api.put('/api/admin/settings', body);
      if (saved && saved.settings) {
        fillSettings(saved.settings);
        onSaved?.(saved.settings);
      }
      say(t.saved, 'ok');
    } catch (caught) {
      const error = /** @type {ApiError} */ (caught);
      // What was typed stays in the form; each field gets its own sentence.
      for (const [name, message] of Object.entries(error.fields ?? {})) {
        if (!isSettingName(name)) continue;
        byId(`error-${name}`).textContent = message;
        fieldBox(name).hidden = false;
        field(name).setAttribute('aria-invalid', 'true');
      }
      const first = form.querySelector('[aria-invalid="true"]');
      if (first instanceof HTMLElement) first.focus();
      say(error.message, 'error');
    } finally {
      save.removeAttribute('aria-disabled');
    }
  });

  return { load: loadSettings };
}
