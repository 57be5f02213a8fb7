import { contractWriter, engagementEvents } from '@flix/contracts';
import type { Outbox, OutboxWriter } from '@flix/events';
import type { EngagementEvent } from '../domain/events.js';

/** Writes engagement's domain events into the outbox, inside the caller's transaction. */
export const engagementOutboxWriter = (outbox: Outbox): OutboxWriter<EngagementEvent> => contractWriter(outbox, engagementEvents);
