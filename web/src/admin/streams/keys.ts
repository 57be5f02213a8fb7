/** Query keys of Studio → Event streams and Dead letters. */
export const streamKeys = {
  all: ['admin', 'streams'] as const,
  streams: ['admin', 'streams', 'list'] as const,
  consumers: (stream: string) => ['admin', 'streams', 'consumers', stream] as const,
  deadLetters: ['admin', 'streams', 'dead-letters'] as const,
};

/** How often the stream and consumer counts are read again while the page is open. */
export const STREAMS_REFRESH_MS = 5_000;
/** The DLQ changes less often; new poison messages still show up without a reload. */
export const DEAD_LETTERS_REFRESH_MS = 15_000;
