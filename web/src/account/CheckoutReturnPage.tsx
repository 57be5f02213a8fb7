import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import type { Api, Rental, Subscription } from '../api/client';
import { describeError } from '../api/errors';
import { RentalStatus, SubscriptionStatus } from '../api/gen/flix/billing/v1/resources';
import { useApi } from '../app/services';
import { formatDate } from '../lib/format';
import { Button, ButtonLink } from '../ui/Button';
import { Page } from '../ui/Page';
import { billingKeys, fetchSubscription, invalidateBilling, isConfirmed, subscriptionPlanName, usePlans } from './billing';
import './account.css';

export const POLL_MS = 1_000;
export const TIMEOUT_MS = 60_000;

/** The rental of one title that this checkout paid for (the newest of it; an active one first). */
async function rentalOf(api: Api, movieId: string): Promise<Rental | null> {
  const { rentals = [] } = await api.billing.rentals({ pageSize: 20 });
  const mine = rentals.filter((r) => r.movieId === movieId);
  return mine.find((r) => r.status === RentalStatus.RENTAL_STATUS_ACTIVE) ?? mine[0] ?? null;
}

const rentalActive = (r: Rental | null | undefined): r is Rental => !!r && r.status === RentalStatus.RENTAL_STATUS_ACTIVE;

/**
 * Where Stripe's hosted checkout sends the viewer back. Stripe tells billing by webhook, which
 * arrives on its own time: this screen asks billing every second (for up to a minute) until
 * the subscription — or, with `?rental=<movieId>`, the rental — is active.
 */
export default function CheckoutReturnPage({ pollMs = POLL_MS, timeoutMs = TIMEOUT_MS }: { pollMs?: number; timeoutMs?: number } = {}) {
  const [params] = useSearchParams();
  const rentalMovieId = params.get('rental');
  return rentalMovieId ? (
    <RentalReturn movieId={rentalMovieId} pollMs={pollMs} timeoutMs={timeoutMs} />
  ) : (
    <SubscriptionReturn pollMs={pollMs} timeoutMs={timeoutMs} />
  );
}

/** A wait that gives up after `timeoutMs`; `retry` starts it again. */
function useDeadline(timeoutMs: number) {
  const [round, setRound] = useState(0);
  const [timedOut, setTimedOut] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setTimedOut(true), timeoutMs);
    return () => clearTimeout(t);
  }, [round, timeoutMs]);
  return {
    timedOut,
    retry: () => {
      setTimedOut(false);
      setRound((r) => r + 1);
    },
  };
}

/** Once the wait is over, everything billing-related on other screens is stale (new entitlements). */
function useInvalidateWhenDone(done: boolean) {
  const queryClient = useQueryClient();
  const once = useRef(false);
  useEffect(() => {
    if (!done || once.current) return;
    once.current = true;
    void invalidateBilling(queryClient);
  }, [done, queryClient]);
}

function SubscriptionReturn({ pollMs, timeoutMs }: { pollMs: number; timeoutMs: number }) {
  const api = useApi();
  const plans = usePlans();
  const deadline = useDeadline(timeoutMs);
  const sub = useQuery({
    queryKey: billingKeys.subscription,
    queryFn: () => fetchSubscription(api),
    staleTime: 0,
    retry: false,
    refetchInterval: (q) => (deadline.timedOut || isConfirmed(q.state.data) ? false : pollMs),
    refetchIntervalInBackground: true,
  });
  const done = isConfirmed(sub.data);
  const timedOut = deadline.timedOut && !done;
  useInvalidateWhenDone(done);

  const data: Subscription | null | undefined = sub.data;
  let message: string;
  if (done && data) message = `You're subscribed to ${subscriptionPlanName(data, plans.data)}.`;
  else if (timedOut) message = 'We have not received confirmation of your payment yet.';
  else message = 'Confirming your payment…';

  return (
    <Page title={done ? 'You are subscribed' : 'Confirming your payment'} heading="Checkout" className="account-return">
      <div className="card account-return-card">
        <ReturnStatus done={done} timedOut={timedOut} message={message} />
        {done && data ? (
          <>
            {data.status === SubscriptionStatus.SUBSCRIPTION_STATUS_TRIALING && data.trialEnd ? (
              <p className="muted">Your free trial runs until {formatDate(data.trialEnd)}. You can cancel any time before then from your account.</p>
            ) : data.currentPeriodEnd ? (
              <p className="muted">Your plan renews on {formatDate(data.currentPeriodEnd)}.</p>
            ) : null}
            <div className="row-actions">
              <ButtonLink to="/browse" variant="primary">
                Start watching
              </ButtonLink>
              <ButtonLink to="/account" variant="ghost">
                Your account
              </ButtonLink>
            </div>
          </>
        ) : timedOut ? (
          <>
            <p>
              {data?.status === SubscriptionStatus.SUBSCRIPTION_STATUS_INCOMPLETE
                ? 'Your first payment has not gone through yet. If your bank asked you to confirm it, do so and check again.'
                : 'If you paid, confirmation usually arrives within a minute; it can occasionally take longer. You have not been charged twice.'}
            </p>
            <TimedOutActions
              error={sub.isError ? sub.error : undefined}
              onRetry={() => {
                deadline.retry();
                void sub.refetch();
              }}
            >
              <ButtonLink to="/plans" variant="ghost">
                See plans
              </ButtonLink>
            </TimedOutActions>
          </>
        ) : (
          <StillConfirming error={sub.isError ? sub.error : undefined} />
        )}
      </div>
    </Page>
  );
}

function RentalReturn({ movieId, pollMs, timeoutMs }: { movieId: string; pollMs: number; timeoutMs: number }) {
  const api = useApi();
  const deadline = useDeadline(timeoutMs);
  const rental = useQuery({
    queryKey: [...billingKeys.rentals, 'of', movieId],
    queryFn: () => rentalOf(api, movieId),
    staleTime: 0,
    retry: false,
    refetchInterval: (q) => (deadline.timedOut || rentalActive(q.state.data) ? false : pollMs),
    refetchIntervalInBackground: true,
  });
  const done = rentalActive(rental.data);
  const timedOut = deadline.timedOut && !done;
  useInvalidateWhenDone(done);

  const r = rental.data;
  const name = r?.movieTitle || 'the title';
  let message: string;
  if (done) message = `You rented ${name}.`;
  else if (timedOut) message = 'We have not received confirmation of your payment yet.';
  else message = 'Confirming your payment…';
  const titlePath = `/title/${encodeURIComponent(movieId)}`;

  return (
    <Page title={done ? `You rented ${name}` : 'Confirming your payment'} heading="Rental" className="account-return">
      <div className="card account-return-card">
        <ReturnStatus done={done} timedOut={timedOut} message={message} />
        {done && r ? (
          <>
            <p className="muted">
              {r.expireTime ? `Start watching before ${formatDate(r.expireTime)}. ` : ''}
              Once you press play, the rental's viewing window starts; your account shows how long is left.
            </p>
            <div className="row-actions">
              <ButtonLink to={`/watch/${encodeURIComponent(movieId)}`} variant="primary">
                Watch now
              </ButtonLink>
              <ButtonLink to={titlePath} variant="ghost">
                Back to title
              </ButtonLink>
            </div>
          </>
        ) : timedOut ? (
          <>
            <p>If you paid, confirmation usually arrives within a minute; it can occasionally take longer. Your rental will show in your account once it does.</p>
            <TimedOutActions
              error={rental.isError ? rental.error : undefined}
              onRetry={() => {
                deadline.retry();
                void rental.refetch();
              }}
            >
              <ButtonLink to={titlePath} variant="ghost">
                Back to title
              </ButtonLink>
            </TimedOutActions>
          </>
        ) : (
          <StillConfirming error={rental.isError ? rental.error : undefined} />
        )}
      </div>
    </Page>
  );
}

/** The live line both waits share: a spinner while confirming, a tick once done. */
function ReturnStatus({ done, timedOut, message }: { done: boolean; timedOut: boolean; message: string }) {
  return (
    <p className="account-return-status" role="status" data-testid="checkout-status">
      {!done && !timedOut ? <span className="btn-spinner" aria-hidden="true" /> : null}
      {done ? (
        <span aria-hidden="true" className="account-return-ok">
          ✓
        </span>
      ) : null}
      <span>{message}</span>
    </p>
  );
}

/** While waiting: the wait is normal; a failed poll is said, and polling goes on. */
function StillConfirming({ error }: { error: unknown }) {
  return (
    <>
      <p className="muted">This usually takes a few seconds. Please keep this page open.</p>
      {error ? <p className="muted">Having trouble reaching Flix ({describeError(error)}); still trying…</p> : null}
    </>
  );
}

/** After the wait ran out: the last error, check again, the account, and the page's own way back. */
function TimedOutActions({ error, onRetry, children }: { error: unknown; onRetry: () => void; children: ReactNode }) {
  return (
    <>
      {error ? <p className="muted">Last answer from Flix: {describeError(error)}</p> : null}
      <div className="row-actions">
        <Button variant="primary" onClick={onRetry}>
          Check again
        </Button>
        <ButtonLink to="/account" variant="ghost">
          Go to your account
        </ButtonLink>
        {children}
      </div>
    </>
  );
}
