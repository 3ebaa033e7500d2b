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
      bodyMs: 60_000,
    });
  });

  it('holds a portal to half the body budget and a user to one upload of the largest size, by default', () => {
    expect(loadConfig({}).uploads).toMatchObject({
      memoryPerPortalBytes: 32 * 1024 * 1024,
      memoryPerUserBytes: 26 * 1024 * 1024,
    });
    expect(loadConfig({ UPLOAD_MEMORY_MB: '1024' }).uploads).toMatchObject({
      memoryPerPortalBytes: 512 * 1024 * 1024,
      memoryPerUserBytes: 128 * 1024 * 1024,
    });
  });

  it('refuses per-portal and per-user budgets that cannot hold one upload or exceed the budget above them', () => {
    expect(() => loadConfig({ UPLOAD_MEMORY_PER_PORTAL_MB: '20' })).toThrow(
      /UPLOAD_MEMORY_PER_PORTAL_MB must hold one upload of MAX_UPLOAD_BYTES \(26 MB or more\) and be at most UPLOAD_MEMORY_MB \(64\)/,
    );
    expect(() => loadConfig({ UPLOAD_MEMORY_PER_PORTAL_MB: '65' })).toThrow(/UPLOAD_MEMORY_PER_PORTAL_MB/);
    expect(() => loadConfig({ UPLOAD_MEMORY_PER_USER_MB: '40' })).toThrow(
      /UPLOAD_MEMORY_PER_USER_MB must hold one upload of MAX_UPLOAD_BYTES \(26 MB or more\) and be at most UPLOAD_MEMORY_PER_PORTAL_MB \(32\)/,
    );
    expect(loadConfig({ UPLOAD_MEMORY_PER_PORTAL_MB: '64', UPLOAD_MEMORY_PER_USER_MB: '40' }).uploads).toMatchObject({
      memoryPerPortalBytes: 64 * 1024 * 1024,
      memoryPerUserBytes: 40 * 1024 * 1024,
    });
  });

  it('gives a body UPLOAD_BODY_SECONDS after its admission, at least 20', () => {
    expect(loadConfig({ UPLOAD_BODY_SECONDS: '120' }).uploads.bodyMs).toBe(120_000);
    expect(() => loadConfig({ UPLOAD_BODY_SECONDS: '5' })).toThrow(
      /UPLOAD_BODY_SECONDS must be a whole number from 20/,
    );
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
