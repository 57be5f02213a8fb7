/**
 * What the player tells a viewer when playback is refused or ends early, and the ways out it
 * offers. Decided from the API's google.rpc.Status (code, ErrorInfo reason and metadata).
 */
import { ApiError, Code, describeError, readableMessage } from '../api/errors';
import { formatMoney, maturityLabel } from '../lib/format';

export type ProblemAction =
  | { kind: 'retry'; label: string }
  | { kind: 'link'; label: string; to: string };

export interface PlayerProblem {
  title: string;
  message: string;
  actions: ProblemAction[];
}

/** The little of the title a refusal needs (the Movie may still be loading, or refused too). */
export interface TitleFacts {
  id: string;
  rentalPrice?: { amountMinor: string; currency: string };
}

const titleLink = (movie: TitleFacts, label: string): ProblemAction => ({ kind: 'link', label, to: `/title/${encodeURIComponent(movie.id)}` });
const retry = (label = 'Try again'): ProblemAction => ({ kind: 'retry', label });

function rentAction(movie: TitleFacts): ProblemAction[] {
  const price = movie.rentalPrice;
  if (!price || !(Number(price.amountMinor) > 0)) return [];
  // The title page holds the rent flow (checkout and coming back).
  return [titleLink(movie, `Rent for ${formatMoney(price)}`)];
}

const PAYMENT_REASONS = new Set(['PAST_GRACE', 'PAYMENT_INCOMPLETE']);

const ENTITLEMENT_TITLES: Record<string, string> = {
  NO_SUBSCRIPTION: 'Choose a plan to watch',
  SUBSCRIPTION_EXPIRED: 'Your subscription has ended',
  TIER_TOO_LOW: 'Not included in your plan',
  RENTAL_EXPIRED: 'Your rental has ended',
  RENTAL_REQUIRED: 'Rent this title to watch',
  PAST_GRACE: 'Update your payment to watch',
  PAYMENT_INCOMPLETE: 'Your payment has not completed yet',
};

/** Billing says no: plans (or the payment page) and, when the title can be rented, renting it. */
function notEntitled(err: ApiError, movie: TitleFacts, title?: string): PlayerProblem {
  const billingReason = err.metadata.reason ?? '';
  const plans: ProblemAction = PAYMENT_REASONS.has(billingReason)
    ? { kind: 'link', label: 'Manage your plan', to: '/account' }
    : { kind: 'link', label: 'See plans', to: '/plans' };
  return {
    title: title ?? ENTITLEMENT_TITLES[billingReason] ?? 'You cannot watch this title yet',
    message: readableMessage(err.message.replace(/^the session has ended:\s*/i, '')),
    actions: [plans, ...rentAction(movie)],
  };
}

function maturity(err: ApiError): PlayerProblem {
  const rating = maturityLabel(`MATURITY_RATING_${err.metadata.rating ?? ''}`);
  const limit = maturityLabel(`MATURITY_RATING_${err.metadata.limit ?? ''}`);
  return {
    title: 'Not available on this profile',
    message: rating && limit ? `This title is rated ${rating}, and this profile is limited to ${limit} titles.` : readableMessage(err.message),
    actions: [{ kind: 'link', label: 'Switch profile', to: '/profiles' }],
  };
}

const isTransport = (err: unknown): boolean =>
  !(err instanceof ApiError) || err.status === 0 || err.status >= 500 || err.code === Code.UNAVAILABLE || err.code === Code.DEADLINE_EXCEEDED;

/** StartSession refused or failed. */
export function startProblem(err: unknown, movie: TitleFacts): PlayerProblem {
  if (!(err instanceof ApiError) || isTransport(err)) return { title: 'Playback could not start', message: describeError(err), actions: [retry()] };
  switch (err.code) {
    case Code.RESOURCE_EXHAUSTED:
      return {
        title: 'Too many screens',
        message: `${readableMessage(err.message)} A screen that closed without stopping frees its place after a short while.`,
        actions: [retry(), { kind: 'link', label: 'Manage your plan', to: '/account' }],
      };
    case Code.PERMISSION_DENIED:
      return err.reason === 'MATURITY_LIMIT' ? maturity(err) : notEntitled(err, movie);
    case Code.NOT_FOUND:
      return { title: 'Title not found', message: 'This title is not in the catalog, or not any more.', actions: [{ kind: 'link', label: 'Browse titles', to: '/browse' }] };
    case Code.UNAUTHENTICATED:
      return { title: 'Please sign in again', message: readableMessage(err.message), actions: [{ kind: 'link', label: 'Sign in', to: '/login' }] };
    case Code.INVALID_ARGUMENT:
    case Code.FAILED_PRECONDITION:
      return {
        title: 'This title cannot be played right now',
        message: readableMessage(err.message),
        // A video still being prepared will be ready later; the other reasons will not change on retry.
        actions: [...(err.reason === 'VIDEO_NOT_READY' ? [retry()] : []), titleLink(movie, 'Back to title')],
      };
    default:
      return { title: 'Playback could not start', message: describeError(err), actions: [retry()] };
  }
}

/**
 * Whether a heartbeat's or a token refresh's error means the backend has ended the session
 * (entitlement withdrawn, the session replaced or expired). Anything else is passing: the
 * player keeps playing and tries again.
 */
export function sessionIsOver(err: unknown): boolean {
  if (!(err instanceof ApiError) || isTransport(err)) return false;
  return err.code === Code.PERMISSION_DENIED || err.code === Code.FAILED_PRECONDITION || err.code === Code.NOT_FOUND || err.code === Code.UNAUTHENTICATED;
}

/** The backend ended a session that was playing. */
export function endedProblem(err: unknown, movie: TitleFacts): PlayerProblem {
  if (err instanceof ApiError && err.code === Code.PERMISSION_DENIED) return notEntitled(err, movie, 'Playback stopped');
  return {
    title: 'Playback stopped',
    message: 'This session has ended. The title may have started playing in another tab or window of this browser, or the connection was lost for too long.',
    actions: [retry('Play again'), titleLink(movie, 'Back to title')],
  };
}

/** The video itself failed (a fatal hls.js error, a decode error, an unsupported browser). */
export function mediaProblem(detail: string | undefined): PlayerProblem {
  return {
    title: 'The video could not be played',
    message: detail || 'The video stopped loading. Check your connection and try again.',
    actions: [retry()],
  };
}
