import { describe, expect, it } from 'vitest';
import { ApiError, Code, errorFromResponse } from '../api/errors';
import { readableMessage } from '../api/errors';
import { endedProblem, mediaProblem, sessionIsOver, startProblem } from './problems';

const info = (reason: string, metadata: Record<string, string> = {}) => ({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'flix.playback', metadata });
const status = (http: number, code: number, message: string, reason: string, metadata?: Record<string, string>) =>
  errorFromResponse(http, { code, message, details: [info(reason, metadata)] });

const movie = { id: 'demo-000001', rentalPrice: { amountMinor: '399', currency: 'USD' } };
const noRent = { id: 'demo-000002' };

describe('readableMessage', () => {
  it('drops the field prefix, capitalises and ends the sentence', () => {
    expect(readableMessage('movieId: your rental of this title has expired')).toBe('Your rental of this title has expired.');
    expect(readableMessage('your plan allows 2 concurrent streams and 2 are playing; stop one to start another')).toBe(
      'Your plan allows 2 concurrent streams and 2 are playing; stop one to start another.',
    );
    expect(readableMessage('Done!')).toBe('Done!');
  });
});

describe('startProblem', () => {
  it('429: too many screens, the limit named, try again or manage the plan', () => {
    const p = startProblem(status(429, Code.RESOURCE_EXHAUSTED, 'your plan allows 2 concurrent streams and 2 are playing; stop one to start another', 'TOO_MANY_STREAMS', { limit: '2' }), movie);
    expect(p.title).toBe('Too many screens');
    expect(p.message).toContain('allows 2 concurrent streams');
    expect(p.actions).toEqual([
      { kind: 'retry', label: 'Try again' },
      { kind: 'link', label: 'Manage your plan', to: '/account' },
    ]);
  });

  it('403 not entitled: billing’s reason, plans and renting when the title has a price', () => {
    const err = status(403, Code.PERMISSION_DENIED, 'movieId: your plan does not include this title; upgrade your plan or rent it', 'NOT_ENTITLED', { reason: 'TIER_TOO_LOW' });
    const p = startProblem(err, movie);
    expect(p.title).toBe('Not included in your plan');
    expect(p.message).toBe('Your plan does not include this title; upgrade your plan or rent it.');
    expect(p.actions).toEqual([
      { kind: 'link', label: 'See plans', to: '/plans' },
      { kind: 'link', label: 'Rent for $3.99', to: '/title/demo-000001' },
    ]);
    expect(startProblem(err, noRent).actions).toEqual([{ kind: 'link', label: 'See plans', to: '/plans' }]);
    expect(startProblem(err, { id: 'x', rentalPrice: { amountMinor: '0', currency: 'USD' } }).actions).toHaveLength(1);
  });

  it('403 with a payment problem sends to the account page', () => {
    const p = startProblem(status(403, Code.PERMISSION_DENIED, 'movieId: your last payment failed', 'NOT_ENTITLED', { reason: 'PAST_GRACE' }), noRent);
    expect(p.actions).toEqual([{ kind: 'link', label: 'Manage your plan', to: '/account' }]);
  });

  it('403 above the maturity limit: not on this profile, switch profile', () => {
    const p = startProblem(status(403, Code.PERMISSION_DENIED, 'profileId: this profile is limited to PG13 titles and demo-000001 is rated R', 'MATURITY_LIMIT', { limit: 'PG13', rating: 'R' }), movie);
    expect(p.title).toBe('Not available on this profile');
    expect(p.message).toBe('This title is rated R, and this profile is limited to PG-13 titles.');
    expect(p.actions).toEqual([{ kind: 'link', label: 'Switch profile', to: '/profiles' }]);
  });

  it('400 not playable: the reason, back to the title (and retry only for a video being prepared)', () => {
    const late = startProblem(status(400, Code.FAILED_PRECONDITION, 'movieId: demo-000001 was available until 2024-01-01T00:00:00.000Z', 'TITLE_NO_LONGER_AVAILABLE'), movie);
    expect(late.actions).toEqual([{ kind: 'link', label: 'Back to title', to: '/title/demo-000001' }]);
    const preparing = startProblem(status(400, Code.FAILED_PRECONDITION, 'movieId: the video of demo-000001 is not ready to play yet (processing)', 'VIDEO_NOT_READY'), movie);
    expect(preparing.actions.map((a) => a.label)).toEqual(['Try again', 'Back to title']);
  });

  it('404, network and 5xx', () => {
    expect(startProblem(status(404, Code.NOT_FOUND, 'movieId: no title x', 'TITLE_NOT_FOUND'), movie).title).toBe('Title not found');
    const offline = startProblem(new ApiError(0, Code.UNAVAILABLE, 'unreachable', 'NETWORK', [], undefined), movie);
    expect(offline.message).toMatch(/cannot be reached/);
    expect(offline.actions).toEqual([{ kind: 'retry', label: 'Try again' }]);
    expect(startProblem(errorFromResponse(502, 'Bad gateway'), movie).actions).toEqual([{ kind: 'retry', label: 'Try again' }]);
  });
});

describe('a session ended by the backend', () => {
  const revoked = status(403, Code.PERMISSION_DENIED, 'the session has ended: your subscription has ended', 'ENTITLEMENT_ENDED', { reason: 'SUBSCRIPTION_EXPIRED' });
  const replaced = status(400, Code.FAILED_PRECONDITION, 'sessionId: session s1 has ended (stopped); start a new one', 'SESSION_ENDED', { reason: 'stopped' });

  it('is told apart from passing failures', () => {
    expect(sessionIsOver(revoked)).toBe(true);
    expect(sessionIsOver(replaced)).toBe(true);
    expect(sessionIsOver(status(404, Code.NOT_FOUND, 'sessionId: no playback session s1', 'SESSION_NOT_FOUND'))).toBe(true);
    expect(sessionIsOver(new ApiError(0, Code.UNAVAILABLE, 'offline', 'NETWORK', [], undefined))).toBe(false);
    expect(sessionIsOver(errorFromResponse(503, { code: Code.UNAVAILABLE, message: 'busy' }))).toBe(false);
    expect(sessionIsOver(status(400, Code.INVALID_ARGUMENT, 'positionSeconds: is beyond the end of the title', 'INVALID_ARGUMENT'))).toBe(false);
    expect(sessionIsOver(new TypeError('boom'))).toBe(false);
  });

  it('entitlement withdrawn: playback stopped, billing’s message, see plans', () => {
    const p = endedProblem(revoked, movie);
    expect(p.title).toBe('Playback stopped');
    expect(p.message).toBe('Your subscription has ended.');
    expect(p.actions[0]).toEqual({ kind: 'link', label: 'See plans', to: '/plans' });
  });

  it('replaced or expired: play again', () => {
    expect(endedProblem(replaced, movie).actions[0]).toEqual({ kind: 'retry', label: 'Play again' });
  });
});

describe('mediaProblem', () => {
  it('offers a retry', () => {
    expect(mediaProblem(undefined).actions).toEqual([{ kind: 'retry', label: 'Try again' }]);
    expect(mediaProblem('fragLoadError').message).toBe('fragLoadError');
  });
});
