import type * as analytics from '../gen/flix/analytics/v1/analytics_service';
import type { DeadLetterAction } from '../gen/flix/analytics/v1/resources';
import { enc, q, type AdminRequests, type Params } from './requests';

/** Studio → Event streams and Dead letters: analytics' read-only view of JetStream and its DLQ actions. */
export const streamsAdmin = ({ get, post }: AdminRequests) => ({
  /** Every stream, by name (`nats stream ls`). */
  streams: (params: Params<analytics.ListStreamsRequest> = {}) => get<analytics.ListStreamsResponse>('/v1/admin/streams', q(params)),
  /** One stream's durable consumers with their backlog (`nats consumer report <stream>`). */
  streamConsumers: (stream: string, params: Params<analytics.ListStreamConsumersRequest, 'stream'> = {}) =>
    get<analytics.ListStreamConsumersResponse>(`/v1/admin/streams/${enc(stream)}/consumers`, q(params)),
  /** The DLQ, newest first, with its total size. */
  deadLetters: (params: Params<analytics.ListDeadLettersRequest> = {}) => get<analytics.ListDeadLettersResponse>('/v1/admin/dead-letters', q(params)),
  /** Re-publishes it as replay-<sequence>; asking again answers with the first record. */
  replayDeadLetter: (sequence: string) => post<DeadLetterAction>(`/v1/admin/dead-letters/${enc(sequence)}:replay`),
  /** Deletes it without re-publishing; asking again answers with the first record. */
  discardDeadLetter: (sequence: string) => post<DeadLetterAction>(`/v1/admin/dead-letters/${enc(sequence)}:discard`),
});
