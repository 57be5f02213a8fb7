import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Plan, Subscription } from '../api/client';
import PlansPage from './PlansPage';
import { notFound, renderScreen } from './test-support';

const plan = (tier: 'BASIC' | 'PREMIUM', interval: 'MONTHLY' | 'YEARLY', amountMinor: string): Plan =>
  ({
    id: `${tier.toLowerCase()}-${interval.toLowerCase()}`,
    displayName: tier === 'BASIC' ? 'Basic' : 'Premium',
    tier: `PLAN_TIER_${tier}`,
    interval: `BILLING_INTERVAL_${interval}`,
    price: { amountMinor, currency: 'USD' },
    maxConcurrentStreams: tier === 'BASIC' ? 1 : 4,
    maxQuality: tier === 'BASIC' ? 'VIDEO_QUALITY_SD' : 'VIDEO_QUALITY_UHD',
    features: tier === 'PREMIUM' ? ['Downloads on 6 devices'] : [],
    trialDays: tier === 'BASIC' ? 7 : 0,
    active: true,
  }) as unknown as Plan;

const PLANS = [plan('PREMIUM', 'MONTHLY', '1999'), plan('BASIC', 'MONTHLY', '699'), plan('BASIC', 'YEARLY', '6990'), plan('PREMIUM', 'YEARLY', '19990')];
const plans = async () => ({ plans: PLANS, nextPageToken: '' });
const offers = async () => ({ offers: [] });

describe('PlansPage', () => {
  it('shows monthly plans first and yearly ones after the interval radio changes', async () => {
    const checkout = vi.fn(async () => ({ sessionId: 'cs_1', url: 'https://checkout.example/cs_1' }));
    const redirect = vi.fn();
    renderScreen(<PlansPage redirect={redirect} />, {
      api: { billing: { plans, offers, checkout, subscription: () => Promise.reject(notFound()) } },
      path: '/plans',
      url: '/plans',
    });

    const monthly = await screen.findByRole('radio', { name: 'Monthly' });
    const yearly = screen.getByRole('radio', { name: 'Yearly' });
    expect(screen.getByRole('group', { name: 'Billing' })).toBeTruthy();
    expect((monthly as HTMLInputElement).checked).toBe(true);
    await waitFor(() => expect((screen.getByRole('button', { name: 'Choose Basic monthly' }) as HTMLButtonElement).disabled).toBe(false));
    expect(screen.getByRole('button', { name: 'Choose Premium monthly' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Choose Premium yearly' })).toBeNull();
    // Cheapest first; prices per interval; streams, quality, features, trial.
    const headings = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent);
    expect(headings).toEqual(['Basic', 'Premium']);
    expect(screen.getByText('$19.99')).toBeTruthy();
    expect(screen.getByText('4 screens at a time')).toBeTruthy();
    expect(screen.getByText('4K Ultra HD')).toBeTruthy();
    expect(screen.getByText('Downloads on 6 devices')).toBeTruthy();
    expect(screen.getByText('7-day free trial')).toBeTruthy();

    fireEvent.click(yearly);
    expect((yearly as HTMLInputElement).checked).toBe(true);
    expect(screen.queryByRole('button', { name: 'Choose Premium monthly' })).toBeNull();
    expect(screen.getByText('$199.90')).toBeTruthy();
    expect(screen.getByText(/About \$16\.66 a month/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Choose Premium yearly' }));
    await waitFor(() => expect(redirect).toHaveBeenCalledWith('https://checkout.example/cs_1'));
    expect(checkout).toHaveBeenCalledWith({
      planId: 'premium-yearly',
      successUrl: `${window.location.origin}/checkout/return?session_id={CHECKOUT_SESSION_ID}`,
      cancelUrl: `${window.location.origin}/plans?checkout=canceled`,
    });
  });

  it('explains a canceled checkout and why the viewer was sent here', async () => {
    renderScreen(<PlansPage redirect={vi.fn()} />, {
      api: { billing: { plans, offers, subscription: () => Promise.reject(notFound()) } },
      path: '/plans',
      url: '/plans?checkout=canceled',
    });
    expect(await screen.findByText(/You have not been charged/)).toBeTruthy();
  });

  it('marks the current plan and switches plans after a confirmation', async () => {
    let current = { id: 's1', planId: 'basic-monthly', tier: 'PLAN_TIER_BASIC', status: 'SUBSCRIPTION_STATUS_ACTIVE', cancelAtPeriodEnd: false } as unknown as Subscription;
    const changePlan = vi.fn(async (planId: string) => (current = { ...current, planId, tier: 'PLAN_TIER_PREMIUM' } as Subscription));
    const checkout = vi.fn();
    renderScreen(<PlansPage redirect={vi.fn()} />, {
      api: { billing: { plans, offers, checkout, changePlan, subscription: async () => current } },
      path: '/plans',
      url: '/plans?reason=upgrade',
    });

    expect(await screen.findByText(/does not include that title/)).toBeTruthy();
    expect(await screen.findByText('✓ Your plan')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /^Choose/ })).toBeNull();

    const trigger = screen.getByRole('button', { name: 'Switch to Premium monthly' });
    fireEvent.click(trigger);
    const group = screen.getByRole('group', { name: /Switch to Premium for \$19\.99 a month/ });
    expect(document.activeElement).toBe(group);

    // Keeping the plan puts focus back on the trigger.
    fireEvent.click(screen.getByRole('button', { name: 'Keep my plan' }));
    expect(changePlan).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Switch to Premium monthly' }));

    fireEvent.click(screen.getByRole('button', { name: 'Switch to Premium monthly' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, switch to Premium monthly' }));
    expect(await screen.findByText('You are now on Premium.')).toBeTruthy();
    expect(changePlan).toHaveBeenCalledWith('premium-monthly');
    expect(checkout).not.toHaveBeenCalled();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Switch to Basic monthly' })).toBeTruthy());
  });
});
