import type { ClientSession } from 'mongodb';
import { identityEvents } from '@flix/contracts';
import type { EventDef, EventInit, FlixEventMessage, Outbox } from '@flix/events';
import type { IdentityEvent } from '../domain/events.js';

/** Writes domain events into the outbox inside the caller's transaction. */
export type EventWriter = (session: ClientSession, events: IdentityEvent[]) => Promise<void>;

const DEF_BY_SUBJECT = new Map<string, EventDef<FlixEventMessage>>(
  Object.values(identityEvents).map((d) => [d.subject, d as unknown as EventDef<FlixEventMessage>]),
);

export function outboxWriter(outbox: Outbox): EventWriter {
  return async (session, events) => {
    for (const e of events) {
      const def = DEF_BY_SUBJECT.get(e.subject);
      if (!def) throw new Error(`no event definition for ${e.subject}`);
      await outbox.enqueue(session, def, e.payload as EventInit<FlixEventMessage>);
    }
  };
}
