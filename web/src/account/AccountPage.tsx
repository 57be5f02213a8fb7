import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type ReactNode, type RefObject } from 'react';
import { Link } from 'react-router';
import type { Payment, Rental, Subscription } from '../api/client';
import { PaymentKind, RentalStatus, SubscriptionStatus } from '../api/gen/flix/billing/v1/resources';
import { useApi, useSessionState } from '../app/services';
import { formatCountdown, formatDate, formatDateTime, formatMoney } from '../lib/format';
import { Button, ButtonLink } from '../ui/Button';
import { ErrorBanner, Spinner } from '../ui/Feedback';
import { Page } from '../ui/Page';
import {
  badgeClass,
  billingKeys,
  invalidateBilling,
  paymentStatusLabel,
  qualityLabel,
  rentalEndsAt,
  rentalStatusLabel,
  streamsLabel,
  subscriptionPlanName,
  subscriptionStatusLabel,
  useNow,
  useOffers,
  usePlans,
  useSubscription,
} from './billing';
import { AccountNav } from './AccountNav';
import { ConfirmAction } from './ConfirmAction';
import './account.css';

const PAGE_SIZE = 10;

/** The account: subscription, payments, rentals and offers, each loading (and failing) on its own. */
export default function AccountPage() {
  const state = useSessionState();
  const user = state.status === 'signed-in' ? state.user : undefined;
  return (
    <Page title="Account" className="account-page">
      <AccountNav />
      {user ? (
        <p className="muted account-who">
          Signed in as <strong>{user.email}</strong> · <Link to="/profiles">Profiles</Link>
        </p>
      ) : null}
      <SubscriptionSection />
      <PaymentsSection />
      <RentalsSection />
      <OffersSection />
    </Page>
  );
}

function Section({ title, headingRef, children, action }: { title: string; headingRef?: RefObject<HTMLHeadingElement | null>; children: ReactNode; action?: ReactNode }) {
  const id = useId();
  return (
    <section className="card account-section" aria-labelledby={id}>
      <div className="account-section-head">
        <h2 className="section-title" id={id} ref={headingRef} tabIndex={-1}>
          {title}
        </h2>
        {action}
      </div>
      {children}
    </section>
  );
}

function Retry({ error, title, onRetry }: { error: unknown; title: string; onRetry: () => void }) {
  return (
    <ErrorBanner error={error} title={title}>
      <Button onClick={onRetry}>Try again</Button>
    </ErrorBanner>
  );
}

// ------------------------------------------------------------------ subscription

function SubscriptionSection() {
  const api = useApi();
  const queryClient = useQueryClient();
  const sub = useSubscription();
  const plans = usePlans();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [announcement, setAnnouncement] = useState('');

  const applied = async (next: Subscription, message: string) => {
    queryClient.setQueryData(billingKeys.subscription, next);
    await invalidateBilling(queryClient);
    setAnnouncement(message);
  };
  const resume = useMutation({
    mutationFn: () => api.billing.resume(),
    onSuccess: (next) => applied(next, `Your subscription is back on${next.currentPeriodEnd ? ` and renews on ${formatDate(next.currentPeriodEnd)}` : ''}.`),
  });

  let body: ReactNode;
  if (sub.isPending) body = <Spinner label="Loading your subscription" />;
  else if (sub.isError) body = <Retry error={sub.error} title="Your subscription could not be loaded" onRetry={() => void sub.refetch()} />;
  else if (!sub.data) {
    body = (
      <>
        <p data-testid="subscription-status" className="account-no-plan">
          You have no plan yet.
        </p>
        <p className="muted">Subscribe to watch everything in your plan, or rent single titles.</p>
        <ButtonLink to="/plans" variant="primary">
          See plans
        </ButtonLink>
      </>
    );
  } else {
    const s = sub.data;
    const status = subscriptionStatusLabel(s);
    const ended = s.status === SubscriptionStatus.SUBSCRIPTION_STATUS_EXPIRED;
    const endsAtPeriodEnd = !ended && (s.cancelAtPeriodEnd || s.status === SubscriptionStatus.SUBSCRIPTION_STATUS_CANCELED);
    const canCancel =
      !endsAtPeriodEnd &&
      (s.status === SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE ||
        s.status === SubscriptionStatus.SUBSCRIPTION_STATUS_TRIALING ||
        s.status === SubscriptionStatus.SUBSCRIPTION_STATUS_PAST_DUE);
    const canResume = endsAtPeriodEnd && (!s.currentPeriodEnd || new Date(s.currentPeriodEnd) > new Date());
    const name = subscriptionPlanName(s, plans.data);
    body = (
      <>
        <dl className="account-facts">
          <div>
            <dt>Plan</dt>
            <dd>{name}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>
              <span className={badgeClass(status.tone)} data-testid="subscription-status">
                {status.label}
              </span>
            </dd>
          </div>
          {!ended && (s.maxConcurrentStreams || s.maxQuality) ? (
            <div>
              <dt>Includes</dt>
              <dd>{[streamsLabel(s.maxConcurrentStreams), qualityLabel(s.maxQuality)].filter(Boolean).join(' · ')}</dd>
            </div>
          ) : null}
        </dl>
        <SubscriptionExplanation sub={s} endsAtPeriodEnd={endsAtPeriodEnd} />
        <div className="row-actions">
          {ended ? (
            <ButtonLink to="/plans" variant="primary">
              See plans
            </ButtonLink>
          ) : null}
          {canResume ? (
            <Button variant="primary" busy={resume.isPending} onClick={() => resume.mutate()}>
              Resume subscription
            </Button>
          ) : null}
          {!ended && s.status !== SubscriptionStatus.SUBSCRIPTION_STATUS_INCOMPLETE ? (
            <ButtonLink to="/plans" variant={canResume ? 'ghost' : 'secondary'}>
              Change plan
            </ButtonLink>
          ) : null}
          {!ended ? <PortalButton urgent={s.status === SubscriptionStatus.SUBSCRIPTION_STATUS_PAST_DUE || s.status === SubscriptionStatus.SUBSCRIPTION_STATUS_INCOMPLETE} /> : null}
          {canCancel ? (
            <ConfirmAction
              label="Cancel subscription"
              variant="danger"
              prompt={
                <>
                  Cancel your subscription? It stays active until {s.currentPeriodEnd ? formatDate(s.currentPeriodEnd) : 'the end of the period you paid for'} and is not
                  renewed after that. You can resume it until then.
                </>
              }
              confirmLabel="Yes, cancel at period end"
              cancelLabel="Keep my plan"
              onConfirm={async () => {
                const next = await api.billing.cancel();
                await applied(next, `Your subscription is canceled. It ends on ${formatDate(next.currentPeriodEnd)}.`);
              }}
              onDone={() => headingRef.current?.focus()}
            />
          ) : null}
        </div>
        {resume.isError ? <ErrorBanner error={resume.error} title="Your subscription could not be resumed" /> : null}
      </>
    );
  }

  return (
    <Section title="Subscription" headingRef={headingRef}>
      <div role="status" className="account-announcement">
        {announcement}
      </div>
      {body}
    </Section>
  );
}

/** The payment method lives at Stripe: its hosted portal, coming back to this page. */
function PortalButton({ urgent }: { urgent: boolean }) {
  const api = useApi();
  const portal = useMutation({
    mutationFn: async () => window.location.assign((await api.billing.portal(`${window.location.origin}/account`)).url),
  });
  return (
    <>
      <Button variant={urgent ? 'primary' : 'ghost'} busy={portal.isPending} onClick={() => portal.mutate()}>
        Update payment method
      </Button>
      {portal.isError ? <ErrorBanner error={portal.error} title="The billing portal could not be opened" /> : null}
    </>
  );
}

function SubscriptionExplanation({ sub, endsAtPeriodEnd }: { sub: Subscription; endsAtPeriodEnd: boolean }) {
  const periodEnd = formatDate(sub.currentPeriodEnd);
  switch (sub.status) {
    case SubscriptionStatus.SUBSCRIPTION_STATUS_EXPIRED:
      return <p>Your plan ended{sub.endedTime || sub.currentPeriodEnd ? ` on ${formatDate(sub.endedTime || sub.currentPeriodEnd)}` : ''}. Choose a plan to watch again.</p>;
    case SubscriptionStatus.SUBSCRIPTION_STATUS_INCOMPLETE:
      return (
        <p className="account-warn-text">
          <span aria-hidden="true">⚠ </span>
          Your first payment has not gone through yet, so your plan has not started. If your bank asked you to confirm the payment, please do so.
        </p>
      );
    case SubscriptionStatus.SUBSCRIPTION_STATUS_PAST_DUE:
      return (
        <div className="account-warn-text">
          <p>
            <span aria-hidden="true">⚠ </span>
            Your last payment did not go through. We retry your card automatically
            {sub.graceUntil ? (
              <>
                ; you can keep watching until <strong>{formatDateTime(sub.graceUntil)}</strong>
              </>
            ) : null}
            . If no payment succeeds by then, watching is paused until one does.
          </p>
          {endsAtPeriodEnd && periodEnd ? <p>Ends on {periodEnd}.</p> : null}
        </div>
      );
    default:
      if (endsAtPeriodEnd) return <p>{periodEnd ? <>Ends on <strong>{periodEnd}</strong>. You can keep watching until then.</> : 'Ends at the end of the current period.'}</p>;
      if (sub.status === SubscriptionStatus.SUBSCRIPTION_STATUS_TRIALING) {
        const trialEnd = formatDate(sub.trialEnd || sub.currentPeriodEnd);
        return <p>{trialEnd ? <>Free trial until <strong>{trialEnd}</strong>; your plan then renews automatically.</> : 'Free trial.'}</p>;
      }
      return periodEnd ? (
        <p>
          Renews on <strong>{periodEnd}</strong>.
        </p>
      ) : null;
  }
}

// ------------------------------------------------------------------ payments

function paymentDescription(p: Payment): string {
  if (p.description) return p.description;
  return p.kind === PaymentKind.PAYMENT_KIND_RENTAL ? 'Rental' : p.kind === PaymentKind.PAYMENT_KIND_SUBSCRIPTION ? 'Subscription' : 'Payment';
}

function PaymentsSection() {
  const api = useApi();
  const payments = useInfiniteQuery({
    queryKey: billingKeys.payments,
    queryFn: ({ pageParam }) => api.billing.payments({ pageSize: PAGE_SIZE, pageToken: pageParam }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
  const items = payments.data?.pages.flatMap((p) => p.payments ?? []) ?? [];

  let body: ReactNode;
  if (payments.isPending) body = <Spinner label="Loading payments" />;
  else if (payments.isError) body = <Retry error={payments.error} title="Payments could not be loaded" onRetry={() => void payments.refetch()} />;
  else if (items.length === 0) body = <p className="muted">No payments yet.</p>;
  else {
    body = (
      <>
        <ul className="account-list">
          {items.map((p) => {
            const status = paymentStatusLabel(p.status);
            const date = formatDate(p.createTime);
            const description = paymentDescription(p);
            const refunded = p.refunded && Number(p.refunded.amountMinor) > 0 ? p.refunded : undefined;
            return (
              <li key={p.id} className="account-item account-payment">
                <span className="account-item-date">{date}</span>
                <span className="account-item-main">{description}</span>
                <span className="account-item-amount">
                  {formatMoney(p.amount)}
                  {refunded ? <span className="muted"> ({formatMoney(refunded)} refunded)</span> : null}
                </span>
                <span className={badgeClass(status.tone)}>{status.label}</span>
                {p.receiptUrl ? (
                  <a href={p.receiptUrl} target="_blank" rel="noopener noreferrer" className="account-item-link">
                    Receipt
                    <span className="visually-hidden">
                      {' '}
                      for {description}, {date} (opens in a new tab)
                    </span>
                  </a>
                ) : null}
              </li>
            );
          })}
        </ul>
        <LoadMore query={payments} label="Load more payments" />
      </>
    );
  }
  return <Section title="Payments">{body}</Section>;
}

function LoadMore({ query, label }: { query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown>; isFetchNextPageError: boolean; error: unknown }; label: string }) {
  return (
    <>
      {query.isFetchNextPageError ? <ErrorBanner error={query.error} title="More could not be loaded" /> : null}
      {query.hasNextPage ? (
        <div className="account-more">
          <Button busy={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
            {label}
          </Button>
        </div>
      ) : null}
    </>
  );
}

// ------------------------------------------------------------------ rentals

function RentalsSection() {
  const api = useApi();
  const queryClient = useQueryClient();
  const now = useNow(60_000);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [announcement, setAnnouncement] = useState('');
  const rentals = useInfiniteQuery({
    queryKey: [...billingKeys.rentals, 'pages'],
    queryFn: ({ pageParam }) => api.billing.rentals({ pageSize: PAGE_SIZE, pageToken: pageParam }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
  const items = rentals.data?.pages.flatMap((p) => p.rentals ?? []) ?? [];

  const returnRental = async (r: Rental) => {
    await api.billing.returnRental(r.id);
    await invalidateBilling(queryClient);
    setAnnouncement(`You returned ${r.movieTitle || 'the title'}.`);
  };

  let body: ReactNode;
  if (rentals.isPending) body = <Spinner label="Loading rentals" />;
  else if (rentals.isError) body = <Retry error={rentals.error} title="Rentals could not be loaded" onRetry={() => void rentals.refetch()} />;
  else if (items.length === 0) body = <p className="muted">You have not rented anything. Titles outside your plan can be rented from their page.</p>;
  else {
    body = (
      <>
        <ul className="account-list">
          {items.map((r) => (
            <RentalItem key={r.id} rental={r} now={now} onReturn={() => returnRental(r)} onReturned={() => headingRef.current?.focus()} />
          ))}
        </ul>
        <LoadMore query={rentals} label="Load more rentals" />
      </>
    );
  }
  return (
    <Section title="Rentals" headingRef={headingRef}>
      <div role="status" className="account-announcement">
        {announcement}
      </div>
      {body}
    </Section>
  );
}

function RentalItem({ rental: r, now, onReturn, onReturned }: { rental: Rental; now: Date; onReturn: () => Promise<unknown>; onReturned: () => void }) {
  const title = r.movieTitle || `Title ${r.movieId}`;
  const endsAt = rentalEndsAt(r);
  const over = !!endsAt && endsAt.getTime() <= now.getTime();
  const active = r.status === RentalStatus.RENTAL_STATUS_ACTIVE && !over;
  const status = r.status === RentalStatus.RENTAL_STATUS_ACTIVE && over ? rentalStatusLabel(RentalStatus.RENTAL_STATUS_EXPIRED) : rentalStatusLabel(r.status);
  let when = '';
  if (active && endsAt) {
    when = `${formatCountdown(endsAt, now)} (until ${formatDateTime(endsAt.toISOString())})${r.playExpireTime ? '' : ' · not started yet'}`;
  } else if (r.status === RentalStatus.RENTAL_STATUS_RETURNED) when = r.returnedTime ? `Returned on ${formatDate(r.returnedTime)}` : '';
  else if (r.status === RentalStatus.RENTAL_STATUS_PENDING) when = 'Checkout not finished';
  else if (endsAt) when = `Ended on ${formatDate(endsAt.toISOString())}`;

  return (
    <li className="account-item account-rental">
      <span className="account-item-main">
        <Link to={`/title/${encodeURIComponent(r.movieId)}`}>{title}</Link>
      </span>
      <span className={badgeClass(status.tone)}>{status.label}</span>
      {when ? <span className="account-item-when muted">{when}</span> : null}
      {r.price ? <span className="account-item-amount">{formatMoney(r.price)}</span> : null}
      {active ? (
        <span className="row-actions account-item-actions">
          <ButtonLink to={`/watch/${encodeURIComponent(r.movieId)}`} variant="primary" aria-label={`Watch ${title}`}>
            Watch
          </ButtonLink>
          <ConfirmAction
            label="Return"
            accessibleLabel={`Return ${title}`}
            variant="ghost"
            prompt={<>Return {title} now? The rental ends at once; to watch it again you would rent it again.</>}
            confirmLabel={`Return ${title}`}
            cancelLabel="Keep the rental"
            onConfirm={onReturn}
            onDone={onReturned}
          />
        </span>
      ) : null}
    </li>
  );
}

// ------------------------------------------------------------------ offers

function OffersSection() {
  const offers = useOffers();
  const now = new Date();
  const current = (offers.data ?? []).filter((o) => !o.expireTime || new Date(o.expireTime) > now);
  let body: ReactNode;
  if (offers.isPending) body = <Spinner label="Loading offers" />;
  else if (offers.isError) body = <Retry error={offers.error} title="Offers could not be loaded" onRetry={() => void offers.refetch()} />;
  else if (current.length === 0) body = <p className="muted">No offers for you right now.</p>;
  else {
    body = (
      <ul className="account-list">
        {current.map((o) => (
          <li key={o.id} className="account-item account-offer">
            <span className="badge badge-ok">{o.percentOff}% off</span>
            <span className="account-item-main">{o.description || `${o.percentOff}% off your next plan`}</span>
            {o.expireTime ? <span className="muted">Until {formatDate(o.expireTime)}</span> : null}
            <Link to="/plans" className="account-item-link">
              See plans<span className="visually-hidden"> for this offer</span>
            </Link>
          </li>
        ))}
      </ul>
    );
  }
  return <Section title="Offers">{body}</Section>;
}

