import { loadConfig } from '../app.config';
import { requestTimeoutMs } from '../server/compose';

// Node's requestTimeout cuts a request whose body has not arrived whole in time (408). An upload's
// body is read only after its chat is checked (a REST call, which on a busy portal first waits its
// turn in the app's queue) and its upload admitted (which waits longer on a busy portal): with the
// old minute, a large upload behind a long queue was cut although nothing was wrong.

describe('the HTTP server of the app', () => {
  it("gives a request a minute for its body on top of the longest wait for its chat's check and its admission", () => {
    const config = loadConfig({});
    const check = config.bitrix24QueueWaitMs + config.bitrix24TimeoutMs;
    const admission = config.uploads.queueWaitMs + config.bitrix24QueueWaitMs;
    expect(config.bitrix24QueueWaitMs).toBe(60_000);
    expect(requestTimeoutMs(config)).toBeGreaterThanOrEqual(check + admission + 60_000);
  });

  it('follows the settings it depends on', () => {
    const longer = loadConfig({ B24_QUEUE_WAIT_MS: '120000', B24_TIMEOUT_MS: '30000' });
    expect(requestTimeoutMs(longer)).toBeGreaterThanOrEqual(
      120_000 + 30_000 + longer.uploads.queueWaitMs + 120_000 + 60_000,
    );
  });
});
