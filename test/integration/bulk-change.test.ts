import { AppError } from '../../server/errors';
import { createLogger } from '../../server/logger';
import { createBulkChange, type BulkOutcome } from '../../server/chats/bulk-change';
import { createBulkPermission, verdictOf } from '../../server/chats/bulk-permission';
import type { ChatAccess } from '../../server/chats/chat-permission';
import {
  ANNOUNCEMENTS_CHAT_ID,
  BOARD_CHAT_ID,
  FIRST_COMPANY_CHAT_ID,
  GENERAL_CHAT_ID,
  MARKETING_CHAT_ID,
  PRIVATE_DIALOG_ID,
  PLAIN_USER_ID,
  PORTAL_PROFILES,
  SALES_CHAT_ID,
  WORKGROUP_CHAT_ID,
  companyChatIds,
} from '../../emulator/index';
import * as img from '../support/images';
import { installedStack, type InstalledStack } from '../support/stack';

// Many chats at once by the rules of one change: the dry run's verdicts are the single check's,
// the changes go 50 calls to a request without halt, and each chat's refusal is the one a single
// change would give. On every Bitrix24 the emulator plays.

const silent = createLogger({ level: 'silent' });

describe.each(PORTAL_PROFILES)('many chats at once on a %s portal', (profile) => {
  let stack: InstalledStack;
  beforeEach(async () => {
    stack = await installedStack({
      users: [PLAIN_USER_ID],
      emulator: { profile, portals: [{ seed: 'company' }] },
    });
  });
  afterEach(() => stack.close());

  const portal = () => stack.emulator.portals[0]!;
  /**
   * Requests to the portal so far, but for the bot's greetings: the chats the bot joins are
   * greeted (imbot.message.add, in batches of their own, sent when Bitrix24 tells the app the bot
   * joined), each greeting request counted once however many greetings it carried.
   */
  const requestsSoFar = () =>
    portal().stats().restCalls -
    new Set(
      portal()
        .calls()
        .filter((c) => c.method === 'imbot.message.add')
        .map((c) => c.request),
    ).size;
  const record = async () => (await stack.store.findPortalByMemberId(portal().memberId))!;
  const bulkPermission = () => createBulkPermission({ clients: stack.clients() });
  const bulkChange = () =>
    createBulkChange({
      clients: stack.clients(),
      bulkPermission: bulkPermission(),
      methods: {
        methodFor: async () => (profile === 'cloud' ? 'imbot.v2.Chat.update' : 'imbot.chat.updateAvatar'),
        methodMissing: async () => undefined,
      },
      clientId: 'local.test.chatavatar',
      log: silent,
    });
  const picked = [
    MARKETING_CHAT_ID,
    SALES_CHAT_ID,
    BOARD_CHAT_ID,
    ANNOUNCEMENTS_CHAT_ID,
    WORKGROUP_CHAT_ID,
    GENERAL_CHAT_ID,
    PRIVATE_DIALOG_ID,
    ...Array.from({ length: 36 }, (_, i) => FIRST_COMPANY_CHAT_ID + i),
  ];

  it('gives each chat the verdict of the single check', async () => {
    const verdicts = await bulkPermission().checkMany(await record(), PLAIN_USER_ID, picked);
    const denied = [...verdicts.values()]
      .map((v) => v.access)
      .filter((a): a is ChatAccess => !(a instanceof AppError) && verdictOf(a).code !== null);
    await bulkPermission().nameOwners(await record(), PLAIN_USER_ID, denied);
    for (const chatId of picked) {
      const single = await stack.http
        .get(`/api/chats/${chatId}/access`)
        .set('Authorization', `Bearer ${stack.tokens[PLAIN_USER_ID]}`);
      const bulk = verdictOf(verdicts.get(chatId)!.access);
      const expected =
        single.status === 403
          ? { verdict: 'refused', code: single.body.error.code, ownerName: null }
          : single.body.bot === 'blocked'
            ? { verdict: 'refused', code: 'BOT_JOIN_DENIED', ownerName: single.body.owner }
            : { verdict: single.body.bot === 'joins' ? 'join_first' : 'change', code: null, ownerName: null };
      expect({ chatId, ...bulk }).toEqual({ chatId, ...expected });
    }
    // Two calls per chat, 25 chats to a request.
    expect(verdicts.get(FIRST_COMPANY_CHAT_ID)!.title).toBe('Sales 1');
  });

  it('changes 120 chats with 10 refusals, 50 calls a request at most, without halt, by the join rules', async () => {
    const changeable = companyChatIds('member', 'owner', 'manager').slice(0, 110);
    const refused = companyChatIds('owner-only', 'outside').slice(0, 10);
    const ids = [...changeable, ...refused];
    const portalRecord = await record();
    const before = requestsSoFar();
    const verdicts = await bulkPermission().checkMany(portalRecord, PLAIN_USER_ID, ids);
    const checks = requestsSoFar() - before;
    expect(checks).toBe(Math.ceil(ids.length / 25));
    const avatar = (await img.photo(256, 256)).toString('base64');
    const outcomes: BulkOutcome[] = [];
    const sent: number[][] = [];
    const targets = ids
      .map((chatId) => ({ chatId, access: verdicts.get(chatId)!.access }))
      .filter((t): t is { chatId: number; access: ChatAccess } => !(t.access instanceof AppError))
      .map((t) => ({ ...t, avatar, way: 'bot' as const }));
    const refusedNow = ids.length - targets.length;
    await bulkChange().changeMany(portalRecord, PLAIN_USER_ID, targets, {
      sending: async (chatIds) => void sent.push(chatIds),
      settled: async (outcome) => void outcomes.push(outcome),
    });
    const changed = outcomes.filter((o) => o.kind === 'changed').map((o) => o.chatId);
    // Every chat the check allowed is changed (on im 19.x any member changes the look, so the
    // "owner only" chats are among them there); every other one is refused with its reason.
    expect(changed.sort()).toEqual(targets.map((t) => t.chatId).sort());
    if (profile !== 'onprem-old') expect(changed.sort()).toEqual([...changeable].sort());
    expect(refusedNow + changed.length).toBe(ids.length);
    for (const id of changeable) expect(portal().chat(id)!.avatarChanges).toBe(1);
    // The bot was outside every chat: first the change alone, by the method whose refusal tells
    // the bot from the user; the join only after Bitrix24 said the bot is outside; then the
    // way's own method. Two rounds, each packed 50 calls to a request.
    const botId = portalRecord.botId!;
    const preferred = profile === 'cloud' ? 'imbot.v2.Chat.update' : 'imbot.chat.updateAvatar';
    const callsOf = (chatId: number) =>
      portal()
        .calls()
        .filter((c) => Number(c.params.CHAT_ID ?? String(c.params.dialogId ?? '').replace('chat', '')) === chatId)
        .filter((c) => c.method !== 'im.dialog.get' && c.method !== 'im.chat.user.list')
        .map((c) => c.method);
    expect(callsOf(changeable[0]!)).toEqual(['imbot.chat.updateAvatar', 'im.chat.user.add', preferred]);
    expect(portal().chat(changeable[0]!)!.members).toContain(botId);
    const requests = requestsSoFar() - before - checks;
    // The changes alone with their links (two calls a chat, 25 chats a request), then the joins,
    // changes and links (three, 16 a request): for 110 chats, 5 and 7.
    expect(requests).toBe(Math.ceil(targets.length / 25) + Math.ceil(targets.length / 16));
    for (const chatIds of sent) expect(chatIds.length).toBeLessThanOrEqual(25);

    // Again, now that the bot is in: one round of two calls per chat.
    const again = requestsSoFar();
    const second: BulkOutcome[] = [];
    const fresh = await bulkPermission().checkMany(portalRecord, PLAIN_USER_ID, changeable);
    await bulkChange().changeMany(
      portalRecord,
      PLAIN_USER_ID,
      changeable.map((chatId) => ({ chatId, access: fresh.get(chatId)!.access as ChatAccess, avatar, way: 'bot' })),
      { sending: async () => undefined, settled: async (outcome) => void second.push(outcome) },
    );
    expect(second.filter((o) => o.kind === 'changed')).toHaveLength(110);
    expect(requestsSoFar() - again).toBe(Math.ceil(110 / 25) * 2);
    for (const id of changeable) expect(portal().chat(id)!.avatarChanges).toBe(2);
  });
});

describe('many chats at once: what a single change would refuse or wait for', () => {
  let stack: InstalledStack;
  beforeEach(async () => {
    stack = await installedStack({ users: [PLAIN_USER_ID], emulator: { portals: [{ seed: 'company' }] } });
  });
  afterEach(() => stack.close());

  const portal = () => stack.emulator.portals[0]!;
  const run = async (chatIds: number[], avatar: string) => {
    const record = (await stack.store.findPortalByMemberId(portal().memberId))!;
    const bulkPermission = createBulkPermission({ clients: stack.clients() });
    const checked = await bulkPermission.checkMany(record, PLAIN_USER_ID, chatIds);
    const outcomes = new Map<number, BulkOutcome>();
    await createBulkChange({
      clients: stack.clients(),
      bulkPermission,
      methods: { methodFor: async () => 'imbot.v2.Chat.update', methodMissing: async () => undefined },
      clientId: 'local.test.chatavatar',
      log: silent,
    }).changeMany(
      record,
      PLAIN_USER_ID,
      chatIds.map((chatId) => ({ chatId, access: checked.get(chatId)!.access as ChatAccess, avatar, way: 'bot' })),
      { sending: async () => undefined, settled: async (outcome) => void outcomes.set(outcome.chatId, outcome) },
    );
    return outcomes;
  };

  it('refuses a chat whose bot is outside and whose user may not add it, before sending anything', async () => {
    const [noAdd] = companyChatIds('no-add');
    const outcomes = await run([noAdd!], (await img.photo(64, 64)).toString('base64'));
    expect(outcomes.get(noAdd!)).toMatchObject({ kind: 'refused', error: { code: 'BOT_JOIN_DENIED' } });
    const ofChat = portal()
      .calls()
      .filter((c) => c.params.CHAT_ID === String(noAdd) || c.params.dialogId === `chat${noAdd}`);
    expect(ofChat.map((c) => c.method)).toEqual(['im.chat.user.list']);
  });

  it('does not report a change whose answer was success and whose link stayed', async () => {
    const ids = companyChatIds('member').slice(0, 3);
    const avatar = (await img.photo(64, 64)).toString('base64');
    await run(ids, avatar);
    // The bot is in now; the second chat's change answers true and does nothing.
    portal().injectFault({ method: 'imbot.v2.Chat.update', noEffect: { result: true }, skip: 1 });
    const outcomes = await run(ids, avatar);
    expect(outcomes.get(ids[0]!)!.kind).toBe('changed');
    expect(outcomes.get(ids[1]!)).toMatchObject({ kind: 'refused', error: { code: 'CHANGE_NOT_VISIBLE' } });
    expect(outcomes.get(ids[2]!)!.kind).toBe('changed');
  });

  it("leaves for later the chats Bitrix24's time limit stops, with the wait it gives", async () => {
    const ids = companyChatIds('member').slice(0, 6);
    const avatar = (await img.photo(64, 64)).toString('base64');
    await run(ids, avatar);
    // limits.md: each change counts 100 s; past 250 s the method is blocked until its basket resets.
    portal().setOperatingLimit({ limitSeconds: 250, costs: { 'imbot.v2.Chat.update': 100 } });
    const outcomes = await run(ids, avatar);
    expect(ids.map((id) => outcomes.get(id)!.kind)).toEqual([
      'changed',
      'changed',
      'changed',
      'later',
      'later',
      'later',
    ]);
    const later = outcomes.get(ids[3]!) as Extract<BulkOutcome, { kind: 'later' }>;
    expect(later.error.code).toBe('OPERATION_TIME_LIMIT');
    // The wait the method's last successful answer gave: its oldest basket's reset, ten minutes on.
    expect(later.retryAfterSeconds).toBeGreaterThan(500);
    expect(later.retryAfterSeconds).toBeLessThanOrEqual(600);
  });
});
