import { dirname } from 'node:path';
import { freePort, startAppProcess } from '../support/app-process';
import { tempSqliteStore, testKey } from '../support/temp-store';

// The running app (server/main.ts) deletes audit entries older than AUDIT_RETENTION_DAYS when
// it starts (and daily after), leaving newer ones alone; and avatar change records (the
// Idempotency-Key's) older than a day.
jest.setTimeout(60_000);

it('prunes the audit log to AUDIT_RETENTION_DAYS, and change records to a day, when the app starts', async () => {
  const key = testKey();
  const temp = await tempSqliteStore([key]);
  const day = 86_400_000;
  const entry = (chatId: number, ageDays: number) =>
    temp.store.addAuditEntry({
      memberId: 'member-a',
      userId: 1,
      userName: null,
      chatId,
      result: 'ok',
      errorCode: null,
      bytes: 1,
      durationMs: 1,
      at: new Date(Date.now() - ageDays * day),
    });
  await entry(1, 45);
  await entry(2, 31);
  await entry(3, 29);
  const change = (key: string, ageHours: number) =>
    temp.store.avatarChanges.claim({
      memberId: 'member-a',
      userId: 1,
      key,
      chatId: 1,
      avatarBefore: '',
      outcome: { width: 1, height: 1, format: 'png', bytes: 1 },
      leaseUntil: 0,
      createdAt: Date.now() - ageHours * 3_600_000,
    });
  await change('old-change-key-0001', 25);
  await change('new-change-key-0001', 23);
  await temp.store.close();
  const app = await startAppProcess({
    port: await freePort(),
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      B24_CLIENT_ID: 'local.retention',
      B24_CLIENT_SECRET: 'retention-client-secret',
      DATA_DIR: dirname(temp.path),
      DATABASE_URL: `sqlite:${temp.path}`,
      SESSION_SECRET: 'retention-session-secret-0123456789-abcdef',
      TOKEN_ENCRYPTION_KEY: key.toString('base64'),
      AUDIT_RETENTION_DAYS: '30',
    },
  });
  try {
    const deadline = Date.now() + 10_000;
    while (!app.output().includes('audit log pruned') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(app.output()).toMatch(/"count":2,.*"audit log pruned"/);
    while (!app.output().includes('avatar change records pruned') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(app.output()).toMatch(/"count":1,.*"avatar change records pruned"/);
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
  }
  const reopened = await temp.reopen();
  expect((await reopened.listAuditEntries('member-a', { limit: 10, offset: 0 })).entries.map((e) => e.chatId)).toEqual([
    3,
  ]);
  expect(await reopened.avatarChanges.find('member-a', 1, 'old-change-key-0001')).toBeNull();
  expect(await reopened.avatarChanges.find('member-a', 1, 'new-change-key-0001')).not.toBeNull();
  await temp.cleanup();
});
