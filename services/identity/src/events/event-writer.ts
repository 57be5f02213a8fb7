import { contractWriter, identityEvents } from '@flix/contracts';
import type { Outbox, OutboxWriter } from '@flix/events';
import type { IdentityEvent } from '../domain/events.js';

/** Writes identity's domain events into the outbox inside the caller's transaction. */
export type EventWriter = OutboxWriter<IdentityEvent>;

export const identityOutboxWriter = (outbox: Outbox): EventWriter => contractWriter(outbox, identityEvents);
