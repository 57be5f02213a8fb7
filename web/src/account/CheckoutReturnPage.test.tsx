import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Plan, Rental, Subscription } from '../api/client';
import CheckoutReturnPage from './CheckoutReturnPage';
import { notFound, renderScreen, unavailable } from './test-support';

const premium = { id: 'premium-monthly', displayName: 'Premium', tier: 'PLAN_TIER_PREMIUM', interval: 'BILLING_INTERVAL_MONTHLY', active: true } as Plan;
const sub = (status: string): Subscription =>
  ({ id: 's1', planId: 'premium-monthly', tier: 'PLAN_TIER_PREMIUM', status, cancelAtPeriodEnd: false, currentPeriodEnd: '2030-01-31T00:00:00Z' }) as unknown as Subscription;
const rental = (status: string): Rental => ({ id: 'r1', movieId: 'm1', movieTitle: 'Heat', status, expireTime: '2030-01-31T00:00:00Z' }) as unknown as Rental;

const plans = async () => ({ plans: [premium], nextPageToken: '' });
const FAST = { pollMs: 20, timeoutMs: 5_000 };
const status = () => screen.getByTestId('checkout-status');

describe('CheckoutReturnPage', () => {
  it('polls the subscription until the webhook has made it active, through 404s and transient errors', async () => {
    const answers: Array<() => Promise<Subscription>> = [
      () => Promise.reject(notFound()), // the webhook has not created it yet
      () => Promise.reject(unavailable()),
      async () => sub('SUBSCRIPTION_STATUS_INCOMPLETE'),
      async () => sub('SUBSCRIPTION_STATUS_ACTIVE'),
    ];
    const subscription = vi.fn(() => (answers.shift() ?? (async () => sub('SUBSCRIPTION_STATUS_ACTIVE')))());
    renderScreen(<CheckoutReturnPage {...FAST} />, { api: { billing: { subscription, plans } }, path: '/checkout/return', url: '/checkout/return?session_id=cs_1' });

    expect(status()).toHaveProperty('textContent', 'Confirming your payment…');
    expect(status().getAttribute('role')).toBe('status');
    await waitFor(() => expect(status().textContent).toContain("You're subscribed to Premium."));
    expect(subscription.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(screen.getByRole('link', { name: 'Start watching' }).getAttribute('href')).toBe('/browse');

    // Done: no more polling.
    await act(() => new Promise((r) => setTimeout(r, 50)));
    const calls = subscription.mock.calls.length;
    await act(() => new Promise((r) => setTimeout(r, 100)));
    expect(subscription.mock.calls.length).toBe(calls);
  });

  it('counts a trial as subscribed', async () => {
    const subscription = vi.fn(async () => ({ ...sub('SUBSCRIPTION_STATUS_TRIALING'), trialEnd: '2030-01-07T00:00:00Z' }));
    renderScreen(<CheckoutReturnPage {...FAST} />, { api: { billing: { subscription, plans } }, path: '/checkout/return', url: '/checkout/return' });
    await waitFor(() => expect(status().textContent).toContain("You're subscribed to Premium."));
    expect(screen.getByText(/free trial runs until/i)).toBeTruthy();
  });

  it('gives up after the timeout with a way to check again and to the account', async () => {
    let current = sub('SUBSCRIPTION_STATUS_INCOMPLETE');
    const subscription = vi.fn(async () => current);
    renderScreen(<CheckoutReturnPage pollMs={20} timeoutMs={150} />, { api: { billing: { subscription, plans } }, path: '/checkout/return', url: '/checkout/return' });

    await waitFor(() => expect(status().textContent).toContain('We have not received confirmation of your payment yet.'));
    expect(screen.getByText(/first payment has not gone through/i)).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Go to your account' }).getAttribute('href')).toBe('/account');

    // Stopped polling once timed out (a tick already under way when the deadline passed may still land).
    await act(() => new Promise((r) => setTimeout(r, 50)));
    const calls = subscription.mock.calls.length;
    await act(() => new Promise((r) => setTimeout(r, 100)));
    expect(subscription.mock.calls.length).toBe(calls);

    current = sub('SUBSCRIPTION_STATUS_ACTIVE');
    fireEvent.click(screen.getByRole('button', { name: 'Check again' }));
    await waitFor(() => expect(status().textContent).toContain("You're subscribed to Premium."));
  });

  it('waits for a rental of the title in the return URL, then offers to watch it', async () => {
    const answers = [[], [rental('RENTAL_STATUS_PENDING')], [rental('RENTAL_STATUS_PENDING')]];
    const rentals = vi.fn(async () => ({ rentals: answers.shift() ?? [{ ...rental('RENTAL_STATUS_ACTIVE') }, { ...rental('RENTAL_STATUS_EXPIRED'), id: 'old' }], nextPageToken: '' }));
    const subscription = vi.fn();
    renderScreen(<CheckoutReturnPage {...FAST} />, {
      api: { billing: { rentals, subscription, plans } },
      path: '/checkout/return',
      url: '/checkout/return?rental=m1&session_id=cs_1',
    });

    expect(status().textContent).toBe('Confirming your payment…');
    await waitFor(() => expect(status().textContent).toContain('You rented Heat.'));
    expect(rentals.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(subscription).not.toHaveBeenCalled();
    expect(screen.getByRole('link', { name: 'Watch now' }).getAttribute('href')).toBe('/watch/m1');
    expect(screen.getByRole('link', { name: 'Back to title' }).getAttribute('href')).toBe('/title/m1');
  });

  it('times out on a rental that never becomes active', async () => {
    const rentals = vi.fn(async () => ({ rentals: [rental('RENTAL_STATUS_PENDING')], nextPageToken: '' }));
    renderScreen(<CheckoutReturnPage pollMs={20} timeoutMs={120} />, { api: { billing: { rentals, plans } }, path: '/checkout/return', url: '/checkout/return?rental=m1' });
    await waitFor(() => expect(status().textContent).toContain('We have not received confirmation'));
    expect(screen.getByRole('button', { name: 'Check again' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to title' }).getAttribute('href')).toBe('/title/m1');
  });
});
