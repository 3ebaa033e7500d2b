import type { Dialect } from './dialect';

// What the app learnt of a portal's Bitrix24 (server/portal/portal-capabilities.ts): which of
// the methods that change a chat's avatar it has, the application's scopes, and whether its
// im.dialog.get reports a chat's permissions. Bitrix24 is several generations at once, so this
// is asked of each portal, kept with the time it was learnt, and asked again on Repair.

/** method.get's answer for one method (api-reference/common/system/method-get.md). */
export interface MethodPresence {
  /** The method exists on this Bitrix24. */
  isExisting: boolean;
  /** The application's scopes let it call the method. */
  isAvailable: boolean;
}

/** Which fields im.dialog.get answered for a group chat (api-reference/chats/im-dialog-get.md). */
export interface DialogFields {
  role: boolean;
  permissions: boolean;
  restrictions: boolean;
}

export interface LearntCapabilities {
  /** method.get's answer per method name as documented (`imbot.v2.Chat.update`); null where the portal could not say. */
  methods: Record<string, MethodPresence | null>;
  /** The application's scopes as `scope` answered them; null when it could not be asked. */
  scopes: string[] | null;
  /** null when the token's user saw no group chat to ask about, or im.dialog.get could not be asked. */
  dialogFields: DialogFields | null;
  /**
   * The events the app binds, by name, and whether this Bitrix24 has each (`events`:
   * api-reference/events/events.md); null when it could not say.
   */
  events: Record<string, boolean> | null;
  /** When the asking began. */
  learntAt: Date;
}

export interface CapabilityRecords {
  /**
   * Keeps what was learnt of a portal, unless what is kept was learnt later (two instances
   * asking at once: the later question wins, whichever answer arrives last).
   */
  save(memberId: string, learnt: LearntCapabilities): Promise<void>;
  find(memberId: string): Promise<LearntCapabilities | null>;
}

export function capabilityRecords(d: Dialect): CapabilityRecords {
  const { db } = d;
  return {
    async save(memberId, learnt) {
      // One statement: of two instances saving at once, the later question is kept.
      await db
        .insertInto('portal_capabilities')
        .values({
          member_id: memberId,
          // Everything but the time, which has a column of its own.
          capabilities: JSON.stringify({
            methods: learnt.methods,
            scopes: learnt.scopes,
            dialogFields: learnt.dialogFields,
            events: learnt.events,
          }),
          learnt_at: d.time(learnt.learntAt.getTime()),
        })
        .onConflict((conflict) =>
          conflict
            .column('member_id')
            .doUpdateSet((eb) => ({
              capabilities: eb.ref('excluded.capabilities'),
              learnt_at: eb.ref('excluded.learnt_at'),
            }))
            .where('excluded.learnt_at', '>=', (eb) => eb.ref('portal_capabilities.learnt_at')),
        )
        .execute();
    },
    async find(memberId) {
      const row = await db
        .selectFrom('portal_capabilities')
        .select(['capabilities', 'learnt_at'])
        .where('member_id', '=', memberId)
        .executeTakeFirst();
      if (!row) return null;
      const data = JSON.parse(row.capabilities) as Partial<Omit<LearntCapabilities, 'learntAt'>>;
      return {
        methods: data.methods ?? {},
        scopes: data.scopes ?? null,
        dialogFields: data.dialogFields ?? null,
        events: data.events ?? null,
        learntAt: new Date(row.learnt_at),
      };
    },
  };
}
