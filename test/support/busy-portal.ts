import type { EmulatedPortal } from '../../emulator/index';
import type { Stack, StackOptions } from './stack';

// A portal whose request budget is spent (limits.md, "Request Rate Limits": a leaky bucket per
// portal, 50 at once, then 2 a second), for the tests of how the app waits on one.

export const BITRIX24_LIMIT = { burst: 50, perSecond: 2 };

/** Stack options under which the emulated portal and the app both count requests as Bitrix24 does. */
export function busyPortalOptions(opts: { maxQueueWaitMs?: number } = {}): StackOptions {
  return {
    emulator: { rateLimit: { threshold: BITRIX24_LIMIT.burst, drainPerSecond: BITRIX24_LIMIT.perSecond } },
    restriction: {
      rateLimit: { burstLimit: BITRIX24_LIMIT.burst, drainRate: BITRIX24_LIMIT.perSecond },
      maxQueueWaitMs: opts.maxQueueWaitMs,
    },
  };
}

/** Empties the emulator's bucket, so that setting up costs none of the budget a test measures. */
export function drainBucket(portal: EmulatedPortal): void {
  portal.state.rate.level = 0;
  portal.state.rate.at = Date.now();
}

/** The app's REST client of the first portal itself (its install token). */
export async function portalClient(stack: Stack, opts?: { signal?: AbortSignal }) {
  const record = (await stack.store.findPortalByMemberId(stack.emulator.portals[0]!.memberId))!;
  return stack.clients().forOwner(record, 0, opts);
}

/**
 * Spends the first portal's budget as another app from the same address would (limits.md: they
 * share one limit): Bitrix24's bucket is full, and the app learns it from the refusal of its next
 * call, which it then makes in its turn. From then on both count alike; Bitrix24's is set a tenth
 * of a request behind the app's, so that a timer firing a little late never makes it refuse a
 * call the app paced.
 */
export async function spendBudget(stack: Stack): Promise<void> {
  const portal = stack.emulator.portals[0]!;
  const rest = await portalClient(stack);
  const refused = portal.stats().rateLimited;
  // The call must reach Bitrix24 within half a second of its bucket being filled (it drains 2 a
  // second), so it must not first wait its turn in the app's own queue after the setting up.
  while (stack.clients().queueWait(portal.memberId).waitSeconds > 0)
    await new Promise((resolve) => setTimeout(resolve, 50));
  portal.state.rate.level = BITRIX24_LIMIT.burst;
  portal.state.rate.at = Date.now();
  await rest.call('user.current');
  if (portal.stats().rateLimited !== refused + 1)
    throw new Error(`the app was refused ${portal.stats().rateLimited - refused} times, not once: it did not learn`);
  portal.state.rate.level = BITRIX24_LIMIT.burst - 0.1;
  portal.state.rate.at = Date.now();
}

/** 'served', or the code a call was refused with. */
export function served(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'served',
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );
}
