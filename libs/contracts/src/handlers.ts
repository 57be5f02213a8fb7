import type { EventHandler, FlixEventMessage } from '@flix/events';

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
