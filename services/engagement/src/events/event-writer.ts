import { engagementEvents } from '@flix/contracts';
import { outboxWriter, type Outbox, type OutboxWriter } from '@flix/events';
import type { EngagementEvent } from '../domain/events.js';

/** Writes engagement's domain events into the outbox, inside the caller's transaction. */
export const engagementOutboxWriter = (outbox: Outbox): OutboxWriter<EngagementEvent> => outboxWriter(outbox, engagementEvents);
