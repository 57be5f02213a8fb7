import type { catalogEvents, ContractEvent, Payload, SubjectOf } from '@flix/contracts';
import type { MovieRecord } from './model.js';

type Contract = typeof catalogEvents;

/** The contract entries that carry a whole title. */
export type MovieEventEntry = 'movieCreated' | 'movieUpdated' | 'moviePublished' | 'movieArchived';

/** A movie event's payload with the domain record where the message has the proto Movie. */
type WithMovie<D> = Omit<Payload<D>, 'movie'> & { movie: MovieRecord };

/**
 * What the catalog announces: its contract's subjects, with movie payloads as records (the event
 * writer turns them into proto messages). The domain decides which events a change produces;
 * storage writes them to the outbox in the same transaction as the change. event_id and
 * occur_time come from the outbox.
 */
export type CatalogEvent =
  | { [K in MovieEventEntry]: { subject: SubjectOf<Contract, K>; payload: WithMovie<Contract[K]> } }[MovieEventEntry]
  | ContractEvent<Contract, Exclude<keyof Contract, MovieEventEntry>>;
