import type { StreamSpec } from '@flix/events';

const DAY = 24 * 60 * 60 * 1000;

function producerStream(service: string, days: number): StreamSpec {
  return {
    name: service.toUpperCase(),
    subjects: [`${service}.>`],
    maxAgeMs: days * DAY,
    description: `Events published by the ${service} service`,
  };
}

/**
 * Flix's streams: one per producing service (its subjects are `<service>.>`), plus the
 * dead-letter stream. 30 days lets a new consumer (or a rebuilt read model such as
 * recommendations) replay a month of history; dead letters stay as long for an operator to
 * inspect and replay.
 */
export const FLIX_STREAMS: readonly StreamSpec[] = Object.freeze([
  producerStream('identity', 30),
  producerStream('catalog', 30),
  producerStream('billing', 30),
  producerStream('playback', 30),
  producerStream('engagement', 30),
  producerStream('analytics', 30),
  { name: 'DLQ', subjects: ['dlq.>'], maxAgeMs: 30 * DAY, description: 'Messages consumers gave up on' },
]);
