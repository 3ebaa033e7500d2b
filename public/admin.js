import { createAuditTab } from './admin-audit.js';
import { createSettingsTab } from './admin-settings.js';
import { createStatusTab } from './admin-status.js';

// The administrators' tabs, each loaded when it is shown: settings, status with repair
// buttons, and the audit log with CSV export.

/** @import { Api, ApiError, AppData, Say, Settings } from './page' */

/**
 * @param {object} options
 * @param {Api} options.api
 * @param {AppData} options.data
 * @param {Say} options.say
 * @param {(chatId: number) => string | null} options.chatTitle the chat's title when the page has seen it
 * @param {(settings: Settings) => void} [options.onSettingsSaved] the settings as an administrator saved them
 */
export function createAdmin({ api, data, say, chatTitle, onSettingsSaved }) {
  const strings = data.strings;
  const locale = data.locale;
  /** @type {Map<string, { load(): Promise<void> }>} */
  const tabs = new Map([
    ['settings', createSettingsTab({ api, strings, say, onSaved: onSettingsSaved })],
    ['status', createStatusTab({ api, strings, locale, say })],
    ['audit', createAuditTab({ api, strings, locale, say, chatTitle })],
  ]);

  return {
    /**
     * Loads what a tab shows when it is shown.
     * @param {string} panel the tab's name: change, settings, status or audit
     */
    async show(panel) {
      try {
        await tabs.get(panel)?.load();
      } catch (error) {
        say(/** @type {ApiError} */ (error).message, 'error');
      }
    },
  };
}
