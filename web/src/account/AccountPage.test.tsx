import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Rental, Subscription } from '../api/client';
import AccountPage from './AccountPage';
import { notFound, renderScreen, unavailable } from './test-support';

const plans = async () => ({ plans: [{ id: 'premium-monthly', displayName: 'Premium', tier: 'PLAN_TIER_PREMIUM', interval: 'BILLING_INTERVAL_MONTHLY', active: true }], nextPageToken: '' });
const empty = { payments: async () => ({ payments: [], nextPageToken: '' }), rentals: async () => ({ rentals: [], nextPageToken: '' }), offers: async () => ({ offers: [] }) };
const active = {
  id: 's1',
  planId: 'premium-monthly',
  tier: 'PLAN_TIER_PREMIUM',
  status: 'SUBSCRIPTION_STATUS_ACTIVE',
  cancelAtPeriodEnd: false,
  currentPeriodEnd: '2030-03-01T12:00:00Z',
  maxConcurrentStreams: 4,
  maxQuality: 'VIDEO_QUALITY_UHD',
} as unknown as Subscription;

const section = (name: string) => screen.getByRole('region', { name });

describe('AccountPage', () => {
  it('cancels at period end after a confirmation, then offers to resume', async () => {
    let current = active;
    const cancel = vi.fn(async () => (current = { ...current, status: 'SUBSCRIPTION_STATUS_CANCELED', cancelAtPeriodEnd: true } as Subscription));
    const resume = vi.fn(async () => (current = { ...current, status: 'SUBSCRIPTION_STATUS_ACTIVE', cancelAtPeriodEnd: false } as Subscription));
    renderScreen(<AccountPage />, { api: { billing: { ...empty, plans, cancel, resume, subscription: async () => current } }, path: '/account', url: '/account' });

    expect((await screen.findByTestId('subscription-status')).textContent).toBe('Active');
    expect(within(section('Subscription')).getByText(/Renews on/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel subscription' }));
    expect(document.activeElement?.getAttribute('role')).toBe('group');
    fireEvent.click(screen.getByRole('button', { name: 'Yes, cancel at period end' }));

    await waitFor(() => expect(screen.getByTestId('subscription-status').textContent).toBe('Canceled'));
    expect(cancel).toHaveBeenCalledTimes(1);
    expect(within(section('Subscription')).getByText(/Ends on/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Cancel subscription' })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Subscription' }));

    fireEvent.click(screen.getByRole('button', { name: 'Resume subscription' }));
    await waitFor(() => expect(screen.getByTestId('subscription-status').textContent).toBe('Active'));
    expect(resume).toHaveBeenCalledTimes(1);
  });

  it('says so when there is no plan, and shows errors per section', async () => {
    renderScreen(<AccountPage />, {
      api: {
        billing: {
          ...empty,
          plans,
          subscription: () => Promise.reject(notFound()),
          payments: () => Promise.reject(unavailable('payments are down')),
        },
      },
      path: '/account',
      url: '/account',
    });
    expect((await screen.findByTestId('subscription-status')).textContent).toBe('You have no plan yet.');
    expect(within(section('Subscription')).getByRole('link', { name: 'See plans' }).getAttribute('href')).toBe('/plans');
    await waitFor(() => expect(within(section('Payments')).getByRole('alert').textContent).toContain('Payments could not be loaded'));
    expect(within(section('Rentals')).queryByRole('alert')).toBeNull();
    expect(within(section('Offers')).getByText('No offers for you right now.')).toBeTruthy();
  });

  it('lists rentals with a countdown, a watch link and a return that asks first', async () => {
    const soon = new Date(Date.now() + (5 * 60 + 30) * 60_000 + 30_000).toISOString();
    let rentals: Rental[] = [{ id: 'r1', movieId: 'm1', movieTitle: 'Heat', status: 'RENTAL_STATUS_ACTIVE', expireTime: soon, price: { amountMinor: '399', currency: 'USD' } } as unknown as Rental];
    const returnRental = vi.fn(async () => {
      rentals = [{ ...rentals[0]!, status: 'RENTAL_STATUS_RETURNED', returnedTime: new Date().toISOString() } as Rental];
      return rentals[0]!;
    });
    renderScreen(<AccountPage />, {
      api: { billing: { ...empty, plans, subscription: async () => active, rentals: async () => ({ rentals, nextPageToken: '' }), returnRental } },
      path: '/account',
      url: '/account',
    });
    expect(await screen.findByText(/5 h 30 min left/)).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Watch Heat' }).getAttribute('href')).toBe('/watch/m1');
    fireEvent.click(screen.getByRole('button', { name: 'Return Heat' }));
    fireEvent.click(screen.getByRole('button', { name: 'Return Heat' })); // the confirmation's own button
    await waitFor(() => expect(within(section('Rentals')).getByText('Returned')).toBeTruthy());
    expect(returnRental).toHaveBeenCalledWith('r1');
    expect(screen.queryByRole('link', { name: 'Watch Heat' })).toBeNull();
  });
});
