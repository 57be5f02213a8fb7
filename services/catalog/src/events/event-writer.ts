import type { ClientSession } from 'mongodb';
import { catalogEvents } from '@flix/contracts';
import type { EventDef, EventInit, FlixEventMessage, Outbox } from '@flix/events';
import type { CatalogEvent } from '../domain/events.js';
import { movieToProto } from '../grpc/mappers.js';

/** Writes domain events into the outbox inside the caller's transaction. */
export type EventWriter = (session: ClientSession, events: CatalogEvent[]) => Promise<void>;

const DEF_BY_SUBJECT = new Map<string, EventDef<FlixEventMessage>>(
  Object.values(catalogEvents).map((d) => [d.subject, d as unknown as EventDef<FlixEventMessage>]),
);

export function outboxWriter(outbox: Outbox): EventWriter {
  return async (session, events) => {
    for (const e of events) {
      const def = DEF_BY_SUBJECT.get(e.subject);
      if (!def) throw new Error(`no event definition for ${e.subject}`);
      // Events go to other services: they carry the full title, playback ids included.
      const payload = 'movie' in e.payload ? { ...e.payload, movie: movieToProto(e.payload.movie, { privileged: true }) } : e.payload;
      await outbox.enqueue(session, def, payload as EventInit<FlixEventMessage>);
    }
  };
}
