import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Plan, Subscription } from '../api/client';
import { BillingInterval, PlanTier, SubscriptionStatus, type Offer } from '../api/gen/flix/billing/v1/resources';
import { useApi } from '../app/services';
import { formatDate, formatMoney } from '../lib/format';
import { Button, ButtonLink } from '../ui/Button';
import { ErrorBanner, Notice, Spinner } from '../ui/Feedback';
import { Page } from '../ui/Page';
import {
  isLive,
  perInterval,
  planName,
  qualityLabel,
  streamsLabel,
  subscriptionPlanName,
  tierLabel,
  useInvalidateBilling,
  useOffers,
  usePlans,
  useSubscription,
} from './billing';
import { ConfirmAction } from './ConfirmAction';
import './account.css';

/** Where Stripe sends the viewer back; Stripe fills in {CHECKOUT_SESSION_ID}. */
export const checkoutUrls = (origin: string) => ({
  successUrl: `${origin}/checkout/return?session_id={CHECKOUT_SESSION_ID}`,
  cancelUrl: `${origin}/plans?checkout=canceled`,
});

/** Why another screen sent the viewer here (`/plans?reason=…`). */
const REASONS: Record<string, string> = {
  upgrade: 'Your plan does not include that title. Choose a higher plan to watch it.',
  subscribe: 'Choose a plan to start watching.',
  'no-subscription': 'Choose a plan to start watching.',
  expired: 'Your subscription has ended. Choose a plan to keep watching.',
  streams: 'Your plan has reached its number of screens at a time. A higher plan lets more people watch at once.',
  quality: 'A higher plan streams in better quality.',
};

const INTERVALS = [
  { value: BillingInterval.BILLING_INTERVAL_MONTHLY, label: 'Monthly' },
  { value: BillingInterval.BILLING_INTERVAL_YEARLY, label: 'Yearly' },
];

const TIER_ORDER: string[] = [PlanTier.PLAN_TIER_BASIC, PlanTier.PLAN_TIER_STANDARD, PlanTier.PLAN_TIER_PREMIUM];
const byTier = (a: Plan, b: Plan) => TIER_ORDER.indexOf(a.tier) - TIER_ORDER.indexOf(b.tier) || Number(a.price?.amountMinor ?? 0) - Number(b.price?.amountMinor ?? 0);

function offerFor(plan: Plan, offers: Offer[] | undefined, now: Date): Offer | undefined {
  return offers
    ?.filter((o) => (!o.planIds?.length || o.planIds.includes(plan.id)) && (!o.expireTime || new Date(o.expireTime) > now))
    .sort((a, b) => b.percentOff - a.percentOff)[0];
}

const leavePage = (url: string) => window.location.assign(url);

/**
 * The plans on offer, monthly or yearly; choosing one opens Stripe's hosted checkout
 * (`redirect` leaves the app for it; tests pass their own).
 */
export default function PlansPage({ redirect = leavePage }: { redirect?: (url: string) => void } = {}) {
  const api = useApi();
  const [params] = useSearchParams();
  const plans = usePlans();
  const subscription = useSubscription();
  const offers = useOffers();
  const invalidate = useInvalidateBilling();
  const sub = subscription.data;
  const subscribed = isLive(sub);
  const current = subscribed ? plans.data?.find((p) => p.id === sub.planId) : undefined;

  const [chosenInterval, setChosenInterval] = useState<string | undefined>(undefined);
  const available = INTERVALS.filter((i) => plans.data?.some((p) => p.interval === i.value));
  const interval = chosenInterval ?? current?.interval ?? available[0]?.value ?? BillingInterval.BILLING_INTERVAL_MONTHLY;
  const shown = (plans.data ?? []).filter((p) => p.interval === interval).sort(byTier);

  const [switched, setSwitched] = useState<string | null>(null);
  const noticeRef = useRef<HTMLDivElement>(null);
  const groupName = useId();

  // Stays busy after the redirect starts, while the browser loads the checkout page.
  const [leavingFor, setLeavingFor] = useState<string | null>(null);
  useEffect(() => {
    // Back from Stripe through the back-forward cache: the page is live again.
    const onShow = (e: PageTransitionEvent) => {
      if (e.persisted) setLeavingFor(null);
    };
    window.addEventListener('pageshow', onShow);
    return () => window.removeEventListener('pageshow', onShow);
  }, []);
  const checkout = useMutation({
    mutationFn: async (planId: string) => {
      const res = await api.billing.checkout({ planId, ...checkoutUrls(window.location.origin) });
      setLeavingFor(planId);
      redirect(res.url);
      return res;
    },
  });

  const changePlan = async (plan: Plan) => {
    await api.billing.changePlan(plan.id);
    await invalidate();
    setSwitched(`You are now on ${plan.displayName || planName(plan)}.`);
  };

  const reason = REASONS[params.get('reason') ?? ''];
  const canceled = params.get('checkout') === 'canceled';
  const now = new Date();

  return (
    <Page title="Choose your plan" className="account-plans">
      {canceled ? (
        <Notice tone="warning">
          <strong>Checkout canceled</strong>
          <p>You have not been charged. Choose a plan whenever you are ready.</p>
        </Notice>
      ) : null}
      {reason && !canceled ? <Notice>{reason}</Notice> : null}
      <div ref={noticeRef} tabIndex={-1} className="account-focus-target">
        {switched ? <Notice tone="success">{switched}</Notice> : null}
      </div>
      {subscription.isError ? <ErrorBanner error={subscription.error} title="Your current plan could not be loaded" /> : null}
      {subscribed && sub ? <CurrentPlanNote sub={sub} name={subscriptionPlanName(sub, plans.data)} /> : null}

      {plans.isPending ? <Spinner label="Loading plans" /> : null}
      {plans.isError ? (
        <ErrorBanner error={plans.error} title="Plans could not be loaded">
          <Button onClick={() => void plans.refetch()}>Try again</Button>
        </ErrorBanner>
      ) : null}

      {plans.isSuccess ? (
        plans.data.length === 0 ? (
          <p className="muted">No plans are on offer right now. Please come back later.</p>
        ) : (
          <>
            {available.length > 1 ? (
              <fieldset className="account-interval">
                <legend>Billing</legend>
                <div className="account-interval-options">
                  {available.map((i) => (
                    <label key={i.value} className={`account-interval-option${interval === i.value ? ' account-interval-on' : ''}`}>
                      <input type="radio" name={groupName} value={i.value} checked={interval === i.value} onChange={() => setChosenInterval(i.value)} />
                      {i.label}
                    </label>
                  ))}
                </div>
              </fieldset>
            ) : null}
            <ul className="account-plan-grid" aria-label={`${interval === BillingInterval.BILLING_INTERVAL_YEARLY ? 'Yearly' : 'Monthly'} plans`}>
              {shown.map((plan) => {
                const isCurrent = !!current && plan.id === current.id;
                const name = planName(plan);
                const offer = subscribed ? undefined : offerFor(plan, offers.data, now);
                const headingId = `plan-${plan.id}`;
                return (
                  <li key={plan.id} className={`card account-plan${isCurrent ? ' account-plan-current' : ''}`}>
                    <div className="account-plan-head">
                      <h2 className="section-title" id={headingId}>
                        {plan.displayName || tierLabel(plan.tier)}
                      </h2>
                      {isCurrent ? <span className="badge badge-ok">✓ Your plan</span> : null}
                    </div>
                    <p className="account-plan-price">
                      <strong>{formatMoney(plan.price)}</strong> <span className="muted">/ {perInterval(plan.interval)}</span>
                    </p>
                    {plan.interval === BillingInterval.BILLING_INTERVAL_YEARLY && plan.price ? (
                      <p className="muted account-plan-sub">
                        About {formatMoney({ ...plan.price, amountMinor: String(Math.round(Number(plan.price.amountMinor) / 12)) })} a month
                      </p>
                    ) : null}
                    {offer ? (
                      <p className="account-plan-offer">
                        <span className="badge badge-ok">{offer.percentOff}% off</span> your first {perInterval(plan.interval)}
                        {offer.expireTime ? ` · offer ends ${formatDate(offer.expireTime)}` : ''}
                      </p>
                    ) : null}
                    <ul className="account-plan-facts">
                      {plan.maxConcurrentStreams ? <li>{streamsLabel(plan.maxConcurrentStreams)}</li> : null}
                      {plan.maxQuality ? <li>{qualityLabel(plan.maxQuality)}</li> : null}
                      {(plan.features ?? []).map((f) => (
                        <li key={f}>{f}</li>
                      ))}
                      {plan.trialDays > 0 && !subscribed ? <li>{plan.trialDays}-day free trial</li> : null}
                    </ul>
                    <div className="account-plan-actions">
                      {isCurrent ? (
                        <ButtonLink to="/account" variant="ghost">
                          Manage your plan
                        </ButtonLink>
                      ) : subscribed && sub ? (
                        <ConfirmAction
                          label="Switch to this plan"
                          accessibleLabel={`Switch to ${name}`}
                          variant="primary"
                          disabled={sub.status === SubscriptionStatus.SUBSCRIPTION_STATUS_INCOMPLETE}
                          prompt={
                            <>
                              Switch to {plan.displayName || name} for {formatMoney(plan.price)} a {perInterval(plan.interval)}? The change applies now; the price
                              difference is prorated on your next bill.
                            </>
                          }
                          confirmLabel={`Yes, switch to ${name}`}
                          confirmVariant="primary"
                          cancelLabel="Keep my plan"
                          onConfirm={() => changePlan(plan)}
                          onDone={() => noticeRef.current?.focus()}
                        />
                      ) : (
                        <Button
                          variant="primary"
                          busy={(checkout.isPending && checkout.variables === plan.id) || leavingFor === plan.id}
                          disabled={checkout.isPending || !!leavingFor || subscription.isPending}
                          onClick={() => checkout.mutate(plan.id)}
                          aria-label={`Choose ${name}`}
                        >
                          Choose
                        </Button>
                      )}
                    </div>
                    {checkout.isError && checkout.variables === plan.id ? <ErrorBanner error={checkout.error} title="Checkout could not start" /> : null}
                  </li>
                );
              })}
            </ul>
            <p className="muted account-plans-footnote">
              Prices include applicable taxes. You can cancel at any time from <Link to="/account">your account</Link>; you keep watching until the end of
              the period you paid for.
            </p>
          </>
        )
      ) : null}
    </Page>
  );
}

function CurrentPlanNote({ sub, name }: { sub: Subscription; name: string }) {
  if (sub.status === SubscriptionStatus.SUBSCRIPTION_STATUS_INCOMPLETE) {
    return (
      <Notice tone="warning">
        Your subscription to {name} is waiting for its first payment. Plans can be changed once it has gone through.
      </Notice>
    );
  }
  return (
    <p className="muted">
      You are subscribed to <strong>{name}</strong>. Switching applies at once.
    </p>
  );
}
