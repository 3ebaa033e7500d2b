import { loadConfig } from '../app.config';

describe('upload admission settings', () => {
  it('defaults to a 64 MB body budget, 32 uploads, 4 per user, 16 per portal, a queue of 128 for 8 s', () => {
    expect(loadConfig({}).uploads).toMatchObject({
      memoryBytes: 64 * 1024 * 1024,
      maxInFlight: 32,
      slotsPerUser: 4,
      slotsPerPortal: 16,
      queueLength: 128,
      queueWaitMs: 8000,
      minBytesPerSecond: 8192,
    });
  });

  it('grows the default budget to two uploads of a larger MAX_UPLOAD_BYTES', () => {
    expect(loadConfig({ MAX_UPLOAD_BYTES: String(100 * 1024 * 1024) }).uploads.memoryBytes).toBe(201 * 1024 * 1024);
  });

  it('refuses a budget that cannot hold one upload of MAX_UPLOAD_BYTES, naming the setting', () => {
    expect(() => loadConfig({ UPLOAD_MEMORY_MB: '16' })).toThrow(
      /UPLOAD_MEMORY_MB must hold at least one upload of MAX_UPLOAD_BYTES \(26 MB or more\)/,
    );
  });
});
