import { describe, expect, it } from 'vitest';
import { parseDeadLetter, replayHeaders, replayMessageId, replayTarget, validateSequence, validateStreamName } from './dead-letters.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('dead letters', () => {
  it('reads the headers libs/events writes and parses a JSON payload', () => {
    const d = parseDeadLetter({
      seq: 7,
      subject: 'dlq.catalog',
      time: new Date('2026-12-01T10:00:00Z'),
      data: enc('{"eventId":"e-1","stars":9}'),
      headers: {
        'Flix-Dlq-Subject': 'engagement.rating.set',
        'Flix-Dlq-Stream': 'ENGAGEMENT',
        'Flix-Dlq-Stream-Seq': '42',
        'Flix-Dlq-Consumer': 'catalog',
        'Flix-Dlq-Reason': 'handler rejected the event: stars',
        'Flix-Dlq-Attempts': '1',
        'Flix-Event-Type': 'flix.engagement.v1.RatingSet',
      },
    });
    expect(d).toMatchObject({ sequence: 7, subject: 'engagement.rating.set', originalStream: 'ENGAGEMENT', originalSequence: 42, consumer: 'catalog', deliveryCount: 1, eventId: 'e-1', payload: { eventId: 'e-1', stars: 9 }, payloadText: '' });
  });

  it('keeps a non-JSON payload as text and takes the consumer from the subject without headers', () => {
    const d = parseDeadLetter({ seq: 1, subject: 'dlq.recommendations', time: new Date(), data: enc('oops {'), headers: {} });
    expect(d).toMatchObject({ payload: undefined, payloadText: 'oops {', consumer: 'recommendations', subject: '', eventId: '' });
    expect(() => replayTarget(d.subject, 1)).toThrow(/^sequence: /);
    expect(() => replayTarget('dlq.catalog', 1)).toThrow(/the DLQ itself/);
  });

  it('re-publishes with the original headers, none of the DLQ bookkeeping, and who replayed it', () => {
    const h = replayHeaders({ 'Flix-Event-Type': ['T'], traceparent: ['00-a-b-01'], 'Flix-Dlq-Reason': ['x'], 'Nats-Msg-Id': ['old'], 'Flix-Event-Id': ['e'] }, 9, 'admin-1');
    expect(h).toEqual([['Flix-Event-Type', 'T'], ['traceparent', '00-a-b-01'], ['Flix-Replay-Of', '9'], ['Flix-Replayed-By', 'admin-1']]);
    expect(replayMessageId(9)).toBe('replay-9');
  });

  it('names the field of a bad stream name or sequence', () => {
    expect(validateStreamName('IDENTITY')).toBe('IDENTITY');
    expect(() => validateStreamName('')).toThrow(/^stream: required/);
    expect(() => validateStreamName('a.b')).toThrow(/^stream: /);
    expect(validateSequence(3)).toBe(3);
    expect(() => validateSequence(0)).toThrow(/^sequence: /);
    expect(() => validateSequence(-1)).toThrow(/^sequence: /);
  });
});
