import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Code } from '../../api/errors';
import { PaymentStatus, PlanTier, SubscriptionStatus } from '../../api/gen/flix/billing/v1/resources';
import { Role, UserSessionState } from '../../api/gen/flix/identity/v1/resources';
import StudioLayout from '../StudioLayout';
import { ADMIN, apiError, renderStudio } from '../test-support';
import UserDetailPage from './UserDetailPage';
import UsersPage from './UsersPage';

const routes = [
  {
    path: 'admin',
    element: <StudioLayout />,
    children: [
      { path: 'users', element: <UsersPage /> },
      { path: 'users/:userId', element: <UserDetailPage /> },
    ],
  },
];

const ANN = {
  id: 'u-ann',
  email: 'ann@example.com',
  displayName: 'Ann Lee',
  preferredLanguage: 'fr',
  roles: [Role.ROLE_VIEWER],
  createTime: '2026-03-04T12:00:00Z',
  updateTime: undefined,
  favouriteGenres: [],
};

const session = (id: string, userAgent: string, state: UserSessionState, extra: Record<string, string> = {}) => ({
  id,
  userAgent,
  clientIp: '203.0.113.7',
  createTime: '2026-12-01T09:00:00Z',
  lastUseTime: '2026-12-02T10:30:00Z',
  expireTime: '2026-12-31T09:00:00Z',
  revokeTime: undefined,
  state,
  ...extra,
});

const notFound = (what: string) => apiError(404, Code.NOT_FOUND, `${what} not found`);

function fakeApi(overrides: Record<string, unknown> = {}) {
  return {
    admin: {
      user: vi.fn(async (id: string) => {
        if (id === ANN.id) return { user: ANN, profiles: [{ id: 'p1', name: 'Ann', kids: false }, { id: 'p2', name: 'Leo', kids: true }] };
        if (id === ADMIN.id) return { user: ADMIN, profiles: [] };
        throw notFound('user');
      }),
      userSessions: vi.fn(async () => ({
        sessions: [
          session('f2', 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36', UserSessionState.USER_SESSION_STATE_ACTIVE),
          session('f1', 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0', UserSessionState.USER_SESSION_STATE_REVOKED, { revokeTime: '2026-12-01T11:00:00Z' }),
        ],
        nextPageToken: '',
      })),
      userSubscription: vi.fn(async () => ({
        id: 'sub_1',
        userId: ANN.id,
        planId: 'standard-monthly',
        tier: PlanTier.PLAN_TIER_STANDARD,
        status: SubscriptionStatus.SUBSCRIPTION_STATUS_CANCELED,
        currentPeriodEnd: '2027-01-04T12:00:00Z',
        cancelAtPeriodEnd: true,
        createTime: '2026-12-04T12:00:00Z',
      })),
      userPayments: vi.fn(async () => ({
        payments: [{ id: 'pay_1', status: PaymentStatus.PAYMENT_STATUS_SUCCEEDED, amount: { amountMinor: '1549', currency: 'USD' }, description: 'Standard (monthly)', failedAttempts: 0, createTime: '2026-12-04T12:00:00Z' }],
        nextPageToken: '',
      })),
      setRoles: vi.fn(),
      ...overrides,
    },
    plans: vi.fn(async () => ({ plans: [{ id: 'standard-monthly', displayName: 'Standard' }], nextPageToken: '' })),
  };
}

describe('Studio: one user', () => {
  it('shows the account, its subscription, payments and sessions', async () => {
    const api = fakeApi();
    renderStudio('/admin/users/u-ann', api, { routes });

    expect(await screen.findByRole('heading', { level: 1, name: 'ann@example.com' })).toBeTruthy();
    const account = screen.getByRole('region', { name: 'Account' });
    expect(within(account).getByText('Ann Lee')).toBeTruthy();
    expect(within(account).getByText('French')).toBeTruthy();
    expect(within(account).getByText('2: Ann, Leo (kids)')).toBeTruthy();
    expect((within(account).getByRole('checkbox', { name: /Admin/ }) as HTMLInputElement).disabled).toBe(false);

    const sub = screen.getByRole('region', { name: 'Subscription' });
    await waitFor(() => expect(within(sub).getByText('Canceled')).toBeTruthy());
    expect(within(sub).getByText('standard-monthly')).toBeTruthy();
    const cancels = within(sub).getByText('Cancels at period end');
    expect(cancels.nextElementSibling?.textContent).toBe('Yes');
    expect(within(sub).getByText('Period ends').nextElementSibling?.textContent).toMatch(/2027/);

    const table = within(await screen.findByRole('region', { name: 'Sessions table' }));
    const rows = table.getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByText('Chrome on Android')).toBeTruthy();
    expect(within(rows[0]).getByText('Active')).toBeTruthy();
    expect(within(rows[1]).getByText('Firefox on Linux')).toBeTruthy();
    expect(within(rows[1]).getByText('Signed out')).toBeTruthy();
    expect(api.admin.userSessions).toHaveBeenCalledWith('u-ann', { pageSize: 10, pageToken: '' });

    const payments = within(await screen.findByRole('region', { name: 'Payments table' }));
    expect(payments.getByText('$15.49')).toBeTruthy();
    expect(payments.getByText('Paid')).toBeTruthy();
  });

  it('says "No subscription" when billing has none, and an unknown account is not found', async () => {
    const api = fakeApi({ userSubscription: vi.fn(async () => Promise.reject(notFound('subscription'))), userSessions: vi.fn(async () => ({ sessions: [], nextPageToken: '' })) });
    const { router } = renderStudio('/admin/users/u-ann', api, { routes });
    const sub = await screen.findByRole('region', { name: 'Subscription' });
    expect(await within(sub).findByText('No subscription')).toBeTruthy();
    expect(await screen.findByText('No sign-ins yet.')).toBeTruthy();

    await router.navigate('/admin/users/u-ghost');
    expect(await screen.findByText('No account has this ID.')).toBeTruthy();
    expect(screen.getByRole('heading', { level: 1, name: 'No such account' })).toBeTruthy();
    fireEvent.click(screen.getByRole('link', { name: '← All users' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/admin/users'));
  });

  it('locks your own admin role with the reason, and shows the API’s refusal of a change', async () => {
    const setRoles = vi.fn(async () => {
      throw apiError(400, Code.FAILED_PRECONDITION, 'you cannot remove your own admin role; ask another admin', [], 'CANNOT_DROP_OWN_ADMIN');
    });
    renderStudio(`/admin/users/${ADMIN.id}`, fakeApi({ setRoles }), { routes });
    const account = await screen.findByRole('region', { name: 'Account' });
    const roles = within(account).getByRole('group', { name: 'Roles' });
    const admin = within(roles).getByRole('checkbox', { name: /Admin/ }) as HTMLInputElement;
    expect(admin.checked).toBe(true);
    expect(admin.disabled).toBe(true);
    expect(document.getElementById(admin.getAttribute('aria-describedby')!)!.textContent).toBe(
      'This is your own account. You cannot remove your own admin role; ask another admin.',
    );

    // Dropping Viewer is allowed here; should identity still refuse, its reason shows beside the roles.
    fireEvent.click(within(roles).getByRole('checkbox', { name: /Viewer/ }));
    fireEvent.click(within(account).getByRole('button', { name: 'Save roles' }));
    const alert = await within(roles).findByRole('alert');
    expect(alert.textContent).toBe('You cannot remove your own admin role; ask another admin.');
    expect(setRoles).toHaveBeenCalledWith(ADMIN.id, [Role.ROLE_ADMIN]);
  });

  it('saves another account’s roles and shows them in its facts', async () => {
    let ann = ANN;
    const api = fakeApi({ setRoles: vi.fn(async (_id: string, roles: Role[]) => (ann = { ...ann, roles })) });
    renderStudio('/admin/users/u-ann', api, { routes });
    const account = await screen.findByRole('region', { name: 'Account' });
    fireEvent.click(within(account).getByRole('checkbox', { name: /Admin/ }));
    fireEvent.click(within(account).getByRole('button', { name: 'Save roles' }));
    await waitFor(() => expect(within(within(account).getByRole('list', { name: 'Roles' })).getByText('Admin')).toBeTruthy());
    expect(api.admin.setRoles).toHaveBeenCalledWith('u-ann', [Role.ROLE_VIEWER, Role.ROLE_ADMIN]);
  });
});
