import { outboxWriter, type EventInit, type EventOf, type Outbox, type OutboxWriter } from '@flix/events';
import type { Contract, ContractEvent, SubjectOf } from './contract.js';

/** The variant(s) of domain event `E` that may carry subject `S` (a variant may list several). */
type EventWith<E extends { subject: string }, S extends string> = E extends { subject: infer U } ? (S extends U ? E & { subject: S } : never) : never;

/**
 * For every contract entry a producer emits, how its domain event becomes the entry's message.
 * Keyed by the contract's entry names, so no subject is spelled out; a missing entry or a result
 * that is not the entry's message does not compile.
 */
export type Encoders<C extends Contract, E extends { subject: SubjectOf<C> }> = {
  [K in keyof C as C[K]['subject'] extends E['subject'] ? K : never]: (event: EventWith<E, C[K]['subject']>) => EventInit<EventOf<C[K]>>;
};

/**
 * A producer's outbox writer, typed by its contract: with no encoders the domain events are the
 * contract's own `{ subject, payload }` union; with encoders, `E` is the service's domain event
 * type (subjects from the contract, payloads its records) and each entry says how to encode it.
 */
export function contractWriter<C extends Contract>(outbox: Outbox, contract: C): OutboxWriter<ContractEvent<C>>;
export function contractWriter<C extends Contract, E extends { subject: SubjectOf<C> }>(
  outbox: Outbox,
  contract: C,
  encoders: Encoders<C, E>,
): OutboxWriter<E>;
export function contractWriter<C extends Contract, E extends { subject: SubjectOf<C> }>(
  outbox: Outbox,
  contract: C,
  encoders?: Encoders<C, E>,
): OutboxWriter<E> {
  if (!encoders) return outboxWriter<E>(outbox, contract);
  const encode = encoders as Record<string, (event: E) => unknown>;
  const bySubject = new Map(Object.entries(contract).flatMap(([key, def]) => (encode[key] ? [[def.subject, encode[key]] as const] : [])));
  return outboxWriter<E>(outbox, contract, (event) => {
    const encoder = bySubject.get(event.subject);
    if (!encoder) throw new Error(`no encoder for ${event.subject}`);
    return encoder(event);
  });
}
