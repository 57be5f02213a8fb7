import { describe, expect, it } from 'vitest';
import { ApiError, Code, describeError, errorFromResponse, parseDurationSeconds } from './errors';

describe('errorFromResponse', () => {
  it('reads reason, field violations and retry delay from a google.rpc.Status body', () => {
    const err = errorFromResponse(400, {
      code: 3,
      message: 'email: is not a valid e-mail address; password: must be at least 10 characters',
      details: [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'INVALID_ARGUMENT', domain: 'flix.identity', metadata: { limit: '5' } },
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [
            { field: 'email', description: 'is not a valid e-mail address' },
            { field: 'profile.name', description: 'must not be empty' },
          ],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '899s' },
      ],
    });
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.reason).toBe('INVALID_ARGUMENT');
    expect(err.metadata).toEqual({ limit: '5' });
    expect(err.fieldError('email')).toBe('is not a valid e-mail address');
    expect(err.fieldError('name')).toBe('must not be empty');
    expect(err.fieldError('password')).toBeUndefined();
    expect(err.retryAfterSeconds).toBe(899);
  });

  it('keeps the HTTP status meaning when a proxy answers with plain text', () => {
    const err = errorFromResponse(503, 'upstream connect error', '7');
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.retryAfterSeconds).toBe(7);
    expect(describeError(err)).toMatch(/busy or restarting/);
  });

  it('parses proto3 JSON durations', () => {
    expect(parseDurationSeconds('1.5s')).toBe(1.5);
    expect(parseDurationSeconds('10')).toBeUndefined();
  });
});
