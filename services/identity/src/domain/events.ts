import type { ContractEvent, identityEvents } from '@flix/contracts';

/**
 * What identity announces: its contract's events (subjects and payloads derived from
 * @flix/contracts). The domain decides which events a change produces; storage writes them to
 * the outbox in the same transaction as the change itself. event_id and occur_time are filled
 * in by the outbox.
 */
export type IdentityEvent = ContractEvent<typeof identityEvents>;
