import type { EventHandler, FlixEventMessage } from '@flix/events';
import type { Contract, SubjectOf } from './contract.js';

/**
 * A consumer's handler map keyed by each handler's own contract subject (`on(def, fn)` entries),
 * so a consumer names the contract entries it handles and never spells a subject.
 */
export function handlersOf(...handlers: EventHandler<FlixEventMessage>[]): Record<string, EventHandler<FlixEventMessage>> {
  const map: Record<string, EventHandler<FlixEventMessage>> = {};
  for (const h of handlers) {
    if (map[h.event.subject]) throw new Error(`two handlers for ${h.event.subject}`);
    map[h.event.subject] = h;
  }
  return map;
}

/** The filters that select part of a contract: `<service>.>`, `<service>.<entity>.>` or one subject. */
export type FilterOf<S extends string> = S extends `${infer Service}.${infer Entity}.${string}` ? `${Service}.>` | `${Service}.${Entity}.>` | S : never;

/** Whether NATS subject filter `filter` (tokens, `*`, a trailing `>`) selects `subject`. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return i === f.length - 1 && s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

/**
 * A consumer's filter subject, held to the contract: the compiler accepts only filters over
 * declared subjects, and one that selects none of the contract's events throws.
 */
export function subjectFilter<C extends Contract>(contract: C, filter: FilterOf<SubjectOf<C>>): string {
  if (!Object.values(contract).some((def) => subjectMatches(filter, def.subject))) {
    throw new Error(`filter '${filter}' selects no declared event`);
  }
  return filter;
}
