import type { PortalSettings, Store } from '../store/store';
import { defaultSettings } from './avatar-settings';

export interface SettingsService {
  settingsFor(memberId: string): Promise<PortalSettings>;
  save(memberId: string, settings: PortalSettings): Promise<void>;
}

/** A portal's settings, or the defaults until an administrator saves some; a saved upload limit never exceeds the server's. */
export function createSettingsService(deps: { store: Store; serverMaxUploadBytes: number }): SettingsService {
  return {
    async settingsFor(memberId) {
      const saved = await deps.store.getSettings(memberId);
      const settings = saved ?? defaultSettings(deps.serverMaxUploadBytes);
      return { ...settings, maxUploadBytes: Math.min(settings.maxUploadBytes, deps.serverMaxUploadBytes) };
    },
    save: (memberId, settings) => deps.store.saveSettings(memberId, settings),
  };
}
