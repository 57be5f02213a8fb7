import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Plan } from '../../api/client';
import { Code } from '../../api/errors';
import { apiError, renderStudio } from '../test-support';

const plan = (id: string, displayName: string, extra: Partial<Record<keyof Plan, unknown>> = {}): Plan =>
  ({
    id,
    displayName,
    tier: 'PLAN_TIER_PREMIUM',
    interval: 'BILLING_INTERVAL_MONTHLY',
    price: { amountMinor: '1999', currency: 'USD' },
    maxConcurrentStreams: 4,
    maxQuality: 'VIDEO_QUALITY_UHD',
    features: [],
    trialDays: 7,
    active: true,
    ...extra,
  }) as unknown as Plan;

describe('Studio: Plans', () => {
  it('lists every plan, inactive ones included, and deactivates one after a confirmation', async () => {
    let plans = [plan('premium-monthly', 'Premium'), plan('basic-monthly', 'Basic (old)', { active: false, tier: 'PLAN_TIER_BASIC', price: { amountMinor: '599', currency: 'USD' }, trialDays: 0 })];
    const list = vi.fn(async () => ({ plans, nextPageToken: '' }));
    const deactivatePlan = vi.fn(async (id: string) => {
      plans = plans.map((p) => (p.id === id ? { ...p, active: false } : p));
      return plans.find((p) => p.id === id)!;
    });
    renderStudio('/admin/plans', { admin: { plans: list, deactivatePlan } });

    const table = await screen.findByRole('table');
    const premium = within(table).getByRole('rowheader', { name: /Premium/ }).closest('tr')!;
    expect(within(premium).getByText('$19.99')).toBeTruthy();
    expect(within(premium).getByText('4K Ultra HD')).toBeTruthy();
    expect(within(premium).getByText('7 days')).toBeTruthy();
    expect(within(premium).getByText('Active')).toBeTruthy();
    const old = within(table).getByRole('rowheader', { name: /Basic \(old\)/ }).closest('tr')!;
    expect(within(old).getByText('Inactive')).toBeTruthy();
    expect(within(old).queryByRole('button')).toBeNull();

    // Asking first; keeping it changes nothing and gives focus back.
    fireEvent.click(within(premium).getByRole('button', { name: 'Deactivate Premium' }));
    const question = within(premium).getByRole('group', { name: /Deactivate Premium\? New subscribers can no longer choose it/ });
    expect(document.activeElement).toBe(question);
    fireEvent.click(within(question).getByRole('button', { name: 'Keep it active' }));
    expect(deactivatePlan).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(within(premium).getByRole('button', { name: 'Deactivate Premium' }));

    fireEvent.click(within(premium).getByRole('button', { name: 'Deactivate Premium' }));
    fireEvent.click(within(premium).getByRole('button', { name: 'Yes, deactivate Premium' }));
    expect(await screen.findByText(/Premium is deactivated/)).toBeTruthy();
    expect(deactivatePlan).toHaveBeenCalledWith('premium-monthly');
    await waitFor(() => expect(within(premium).getByText('Inactive')).toBeTruthy());
    expect(within(premium).queryByRole('button', { name: 'Deactivate Premium' })).toBeNull();
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('shows billing’s field violations beside each field of a new plan, then creates it', async () => {
    const plans = vi.fn(async () => ({ plans: [], nextPageToken: '' }));
    const createPlan = vi
      .fn()
      .mockRejectedValueOnce(
        apiError(400, Code.INVALID_ARGUMENT, 'plan.displayName: must be 1-80 characters', [
          { field: 'plan.displayName', description: 'must be 1-80 characters' },
          { field: 'plan.price.currency', description: 'must be an ISO 4217 code such as USD' },
        ]),
      )
      .mockImplementationOnce(async (p: Plan) => p);
    const { router } = renderStudio('/admin/plans', { admin: { plans, createPlan } });

    fireEvent.click(await screen.findByRole('link', { name: 'New plan' }));
    await screen.findByRole('heading', { name: 'New plan' });
    fireEvent.change(screen.getByLabelText('Plan ID'), { target: { value: 'family-yearly' } });
    fireEvent.change(screen.getByLabelText('Tier'), { target: { value: 'PLAN_TIER_PREMIUM' } });
    fireEvent.change(screen.getByLabelText('Interval'), { target: { value: 'BILLING_INTERVAL_YEARLY' } });
    fireEvent.change(screen.getByLabelText('Price'), { target: { value: '149.90' } });
    fireEvent.change(screen.getByLabelText('Currency'), { target: { value: 'us' } });
    fireEvent.change(screen.getByLabelText('Screens at a time'), { target: { value: '6' } });
    fireEvent.change(screen.getByLabelText('Maximum quality'), { target: { value: 'VIDEO_QUALITY_UHD' } });
    fireEvent.change(screen.getByLabelText('Features'), { target: { value: 'Six screens\n\n  Downloads  \n' } });
    fireEvent.change(screen.getByLabelText('Trial days'), { target: { value: '14' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create plan' }));

    const name = screen.getByLabelText('Display name');
    await waitFor(() => expect(name.getAttribute('aria-invalid')).toBe('true'));
    const nameError = document.getElementById(name.getAttribute('aria-describedby')!)!;
    expect(nameError.textContent).toBe('must be 1-80 characters');
    expect(document.activeElement).toBe(name);
    const currency = screen.getByLabelText('Currency');
    expect(currency.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('must be an ISO 4217 code such as USD')).toBeTruthy();
    expect(screen.getByLabelText('Price').getAttribute('aria-invalid')).toBeNull();
    expect(screen.getByRole('alert').textContent).toMatch(/check the 2 fields marked below/);
    expect(createPlan).toHaveBeenLastCalledWith({
      id: 'family-yearly',
      displayName: '',
      tier: 'PLAN_TIER_PREMIUM',
      interval: 'BILLING_INTERVAL_YEARLY',
      price: { amountMinor: '14990', currency: 'US' },
      maxConcurrentStreams: 6,
      maxQuality: 'VIDEO_QUALITY_UHD',
      features: ['Six screens', 'Downloads'],
      trialDays: 14,
      active: true,
    });

    fireEvent.change(name, { target: { value: 'Family' } });
    fireEvent.change(currency, { target: { value: 'usd' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create plan' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/admin/plans'));
    expect(await screen.findByText('Family is created.')).toBeTruthy();
    expect(createPlan).toHaveBeenCalledTimes(2);
  });

  it('says what is wrong with a price before asking billing', async () => {
    const createPlan = vi.fn();
    renderStudio('/admin/plans/new', { admin: { plans: vi.fn(), createPlan } });
    fireEvent.change(await screen.findByLabelText('Price'), { target: { value: 'ten' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create plan' }));
    expect(await screen.findByText('Enter an amount such as 9.99')).toBeTruthy();
    expect(createPlan).not.toHaveBeenCalled();
  });
});
