import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Code } from '../../api/errors';
import { AlertKind } from '../../api/gen/flix/analytics/v1/resources';
import StudioLayout from '../StudioLayout';
import { apiError, renderStudio } from '../test-support';
import AnalyticsPage from './AnalyticsPage';
import { addDays, dayOf } from './range';

// recharts' ResponsiveContainer keeps its initialDimension where there is no ResizeObserver (jsdom).

const routes = [{ path: 'admin', element: <StudioLayout />, children: [{ path: 'analytics', element: <AnalyticsPage /> }] }];

const day = (d: string, extra: Record<string, unknown> = {}) => ({
  day: d,
  activeUsers: '0',
  registrations: '0',
  plays: '0',
  sessionsEnded: '0',
  watchSeconds: 0,
  completionRate: 0,
  rebufferingRatio: 0,
  activeSubscriptions: '0',
  payingSubscriptions: '0',
  mrrMinor: '0',
  newSubscriptions: '0',
  churnedSubscriptions: '0',
  paymentsSucceeded: '0',
  paymentsFailed: '0',
  paymentSuccessRate: 0,
  revenueMinor: '0',
  loginsSucceeded: '0',
  loginsFailed: '0',
  deadLetters: '0',
  events: '0',
  ...extra,
});

/** A summary as the gateway sends it (proto3 JSON: int64 as strings). */
function summary(from: string, to: string) {
  return {
    from,
    to,
    users: { registrations: '4', averageDailyActiveUsers: 12.5, dailyActiveUsers: [], monthlyActiveUsers: [{ month: '2026-03', activeUsers: '321' }] },
    playback: { plays: '1234', sessionsEnded: '40', watchSeconds: 12_000, completions: '10', completionRate: 0.25, rebufferMs: '30000', rebufferingRatio: 0.0025 },
    topTitlesByPlays: [
      { movieId: 'm-1', plays: '900', sessionsEnded: '30', watchSeconds: 9000, completions: '9', completionRate: 0.3, rebufferMs: '1000', rebufferingRatio: 0.001 },
      { movieId: 'm-gone', plays: '3', sessionsEnded: '0', watchSeconds: 0, completions: '0', completionRate: 0, rebufferMs: '0', rebufferingRatio: 0 },
    ],
    topTitlesByWatchTime: [],
    topTitlesByRebuffering: [{ movieId: 'm-2', plays: '5', sessionsEnded: '5', watchSeconds: 100, completions: '0', completionRate: 0, rebufferMs: '20000', rebufferingRatio: 0.1667 }],
    subscriptions: { activeSubscriptions: '57', payingSubscriptions: '50', mrrMinor: '44950', currency: 'USD', activeAtStart: '55', newSubscriptions: '4', churnedSubscriptions: '2', churnRate: 0.0364 },
    payments: { succeeded: '48', failed: '2', refunded: '0', successRate: 0.96, revenueMinor: '43152', refundedMinor: '0', currency: 'USD' },
    auth: { loginsSucceeded: '90', loginsFailed: '10', loginFailureRate: 0.1 },
    eventsIngested: '5000',
    openAlerts: [],
    deadLetters: '3',
    days: [day('2026-03-01', { plays: '700', activeSubscriptions: '56' }), day('2026-03-02', { plays: '534', activeSubscriptions: '57', revenueMinor: '1798' })],
    alerts: [
      {
        alert: { incidentId: 'i-2', kind: AlertKind.ALERT_KIND_LOGIN_FAILURE_RATE, value: 0.6, threshold: 0.5, sampleSize: '20', windowSeconds: '300', raiseTime: '2026-03-02T10:00:00Z' },
        resolveTime: undefined,
      },
      {
        alert: { incidentId: 'i-1', kind: AlertKind.ALERT_KIND_DEAD_LETTERS, value: 7, threshold: 5, sampleSize: '7', windowSeconds: '300', raiseTime: '2026-03-01T08:00:00Z' },
        resolveTime: '2026-03-01T08:20:00Z',
      },
    ],
  };
}

const fakes = () => ({
  analyticsSummary: vi.fn(async ({ from, to }: { from: string; to: string }) => summary(from, to)),
  batchGet: vi.fn(async (ids: string[]) => ({ movies: ids.filter((id) => id !== 'm-gone').map((id) => ({ id, title: id === 'm-1' ? 'Night Train' : 'Slow Stream' })), missingMovieIds: ['m-gone'] })),
});

const tile = (label: string) => screen.getByRole('group', { name: label });

describe('Studio: Analytics', () => {
  it("shows the API's KPIs, charts with their descriptions and data, top titles by name and the window's alerts", async () => {
    const f = fakes();
    renderStudio('/admin/analytics?from=2026-03-01&to=2026-03-02', { admin: { analyticsSummary: f.analyticsSummary }, movies: { batchGet: f.batchGet } }, { routes });

    await waitFor(() => expect(tile('Plays').textContent).toContain('1,234'));
    expect(f.analyticsSummary).toHaveBeenCalledWith({ from: '2026-03-01T00:00:00Z', to: '2026-03-03T00:00:00Z', titleLimit: 10 });
    expect(tile('Daily active users').textContent).toContain('12.5');
    expect(tile('Monthly active users').textContent).toMatch(/321.*March 2026/);
    expect(tile('Watch time').textContent).toContain('3 h 20 min');
    expect(tile('Completion rate').textContent).toContain('25%');
    expect(tile('Rebuffering ratio').textContent).toContain('0.25%');
    expect(tile('Active subscriptions').textContent).toContain('57');
    expect(tile('Paying subscriptions').textContent).toContain('50');
    expect(tile('MRR').textContent).toContain('$449.50');
    expect(tile('Churn').textContent).toMatch(/3\.6%.*2 ended of 55/);
    expect(tile('Payment success rate').textContent).toMatch(/96%.*48 succeeded · 2 failed/);
    expect(tile('Revenue').textContent).toContain('$431.52');
    expect(tile('Failed sign-ins').textContent).toMatch(/10.*10% of 100 attempts/);
    expect(tile('Dead letters').textContent).toContain('3');

    // Each chart is an image with a name that says what it shows, and its numbers in a table.
    const plays = screen.getByRole('img', { name: /^Plays: .*1,234 in the range, highest 700 on 1 Mar/ });
    expect(plays).toBeTruthy();
    expect(screen.getByRole('img', { name: /^Subscriptions: .*57 active and 0 paying on the last day/ })).toBeTruthy();
    const revenueTable = screen.getByRole('region', { name: 'Revenue and MRR by day' });
    const rows = within(revenueTable).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(within(rows[2]!).getByRole('rowheader').textContent).toBe('Mon, 2 Mar 2026');
    expect(rows[2]!.textContent).toContain('$17.98');

    // Titles by name (from the catalog), an id when the catalog no longer shows it.
    const mostPlayed = screen.getByRole('region', { name: 'Most played' });
    await waitFor(() => expect(within(mostPlayed).getByRole('link', { name: 'Night Train' })).toBeTruthy());
    expect(within(mostPlayed).getByText('m-gone')).toBeTruthy();
    expect(within(screen.getByRole('region', { name: 'Most rebuffering' })).getByText('Slow Stream')).toBeTruthy();
    expect(within(screen.getByRole('region', { name: 'Most rebuffering' })).getByText('16.7%')).toBeTruthy();
    expect(f.batchGet).toHaveBeenCalledWith(['m-1', 'm-2', 'm-gone']);

    const alerts = within(screen.getByRole('region', { name: 'Alerts in the range' })).getAllByRole('row');
    expect(alerts[1]!.textContent).toMatch(/Sign-in failure rate.*Open.*2 Mar 2026.*60%.*50%/);
    expect(alerts[2]!.textContent).toMatch(/Dead letters.*Resolved.*1 Mar 2026, 08:00 UTC.*1 Mar 2026, 08:20 UTC.*7.*5/);
  });

  it('switches between presets and a validated custom range, keeping it in the URL', async () => {
    const f = fakes();
    const { router } = renderStudio('/admin/analytics', { admin: { analyticsSummary: f.analyticsSummary }, movies: { batchGet: f.batchGet } }, { routes });
    const today = dayOf(new Date());
    // Default: the last 7 days, today included.
    await waitFor(() => expect(f.analyticsSummary).toHaveBeenCalledWith({ from: `${addDays(today, -6)}T00:00:00Z`, to: `${addDays(today, 1)}T00:00:00Z`, titleLimit: 10 }));
    expect(screen.getByRole('button', { name: 'Last 7 days' }).getAttribute('aria-pressed')).toBe('true');

    fireEvent.click(screen.getByRole('button', { name: 'Today' }));
    await waitFor(() => expect(router.state.location.search).toBe('?days=1'));
    await waitFor(() => expect(f.analyticsSummary).toHaveBeenLastCalledWith({ from: `${today}T00:00:00Z`, to: `${addDays(today, 1)}T00:00:00Z`, titleLimit: 10 }));
    expect(screen.getByRole('button', { name: 'Today' }).getAttribute('aria-pressed')).toBe('true');

    fireEvent.click(screen.getByRole('button', { name: 'Custom' }));
    const from = screen.getByLabelText('First day (UTC)');
    const to = screen.getByLabelText(/^Last day \(UTC\)/);
    expect((from as HTMLInputElement).value).toBe(today);
    fireEvent.change(from, { target: { value: '2026-03-10' } });
    fireEvent.change(to, { target: { value: '2026-03-01' } });
    fireEvent.click(screen.getByRole('button', { name: 'Show' }));
    expect(screen.getByText('The last day must not be before the first.')).toBeTruthy();
    expect(to.getAttribute('aria-invalid')).toBe('true');
    fireEvent.change(from, { target: { value: '2025-01-01' } });
    fireEvent.click(screen.getByRole('button', { name: 'Show' }));
    expect(screen.getByText('At most 400 days.')).toBeTruthy();
    fireEvent.change(from, { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Show' }));
    expect(screen.getByText('Enter the first day.')).toBeTruthy();

    fireEvent.change(from, { target: { value: '2026-02-20' } });
    fireEvent.click(screen.getByRole('button', { name: 'Show' }));
    await waitFor(() => expect(router.state.location.search).toBe('?from=2026-02-20&to=2026-03-01'));
    await waitFor(() => expect(f.analyticsSummary).toHaveBeenLastCalledWith({ from: '2026-02-20T00:00:00Z', to: '2026-03-02T00:00:00Z', titleLimit: 10 }));
    expect(screen.queryByText('Enter the first day.')).toBeNull();
  });

  it("shows the API's refusal beside the field it names", async () => {
    const refuse = vi.fn(async () => {
      throw apiError(400, Code.INVALID_ARGUMENT, 'to: must be at most 400 days after from', [{ field: 'to', description: 'must be at most 400 days after from' }]);
    });
    renderStudio('/admin/analytics?from=2026-01-01&to=2026-01-31', { admin: { analyticsSummary: refuse }, movies: { batchGet: vi.fn() } }, { routes });
    expect(await screen.findByText('must be at most 400 days after from')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('The dashboard could not be loaded.');
    expect(screen.getByLabelText(/^Last day \(UTC\)/).getAttribute('aria-invalid')).toBe('true');
  });
});
