import type { EventDef, EventOf, FlixEventMessage } from '@flix/events';

/**
 * A producing service's events as declared here: each entry ties one subject (kept as its literal
 * type) to its proto type and codec. Every other event type in Flix is derived from these.
 */
export type Contract = Readonly<Record<string, EventDef<FlixEventMessage>>>;

/** The subjects a contract declares; with `K`, only those of the named entries. */
export type SubjectOf<C extends Contract, K extends keyof C = keyof C> = C[K]['subject'];

/** The contract entry declaring subject `S`. */
export type DefOf<C extends Contract, S extends SubjectOf<C>> = Extract<C[keyof C], { readonly subject: S }>;

/** What a producer supplies for an event: its message without eventId/occurTime (the outbox fills them). */
export type Payload<D> = Omit<EventOf<D>, keyof FlixEventMessage>;

/**
 * A producer's domain events, one `{ subject, payload }` per contract entry (or per entry in `K`),
 * discriminated by subject: a subject the contract does not declare, or a payload that is not
 * its message, does not compile.
 */
export type ContractEvent<C extends Contract, K extends keyof C = keyof C> = {
  [P in K]: { subject: C[P]['subject']; payload: Payload<C[P]> };
}[K];

/**
 * A producer's own domain events when they carry domain records for the writer to encode: one
 * `{ subject } & Shapes[K]` per contract entry K. `Shapes` must name every entry and nothing else,
 * so a new contract event, a renamed one or a typo does not compile.
 */
export type DomainEvent<C extends Contract, Shapes extends { [K in keyof C]: object } & Record<Exclude<keyof Shapes, keyof C>, never>> = {
  [K in keyof C]: { subject: C[K]['subject'] } & Shapes[K];
}[keyof C];

/**
 * Declares which service publishes a contract's events: every subject must start with
 * `<service>.`, the prefix of the service's stream (checked by the compiler, and here at load).
 */
export function producedBy<P extends string, C extends Readonly<Record<string, EventDef<FlixEventMessage, `${P}.${string}`>>>>(
  service: P,
  events: C,
): C {
  for (const def of Object.values(events)) {
    if (!def.subject.startsWith(`${service}.`)) throw new Error(`event subject '${def.subject}' is not under '${service}.>'`);
  }
  return Object.freeze(events);
}
