import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import type { Subscription } from '../../api/gen/flix/billing/v1/resources';
import { UserSessionState, type UserSession } from '../../api/gen/flix/identity/v1/resources';
import { ApiError, Code } from '../../api/errors';
import { paymentStatusLabel, subscriptionPlanName, subscriptionStatusLabel, usePlans, type Tone } from '../../account/billing';
import { useApi } from '../../app/services';
import { formatDate, formatDateTime, formatMoney, languageName } from '../../lib/format';
import { Button } from '../../ui/Button';
import { EmptyState, ErrorBanner, Spinner } from '../../ui/Feedback';
import { Page } from '../../ui/Page';
import '../admin.css';
import { deviceLabel } from './device';
import { userKeys } from './keys';
import { RoleBadges, RolesForm } from './roles';
import './users.css';
import { LoadMore, LoadState } from '../QueryStates';

const SESSIONS_PAGE = 10;
const PAYMENTS_PAGE = 10;

const isNotFound = (err: unknown) => err instanceof ApiError && err.code === Code.NOT_FOUND;
const badgeClass = (tone: Tone) => (tone === 'neutral' ? 'badge' : `badge badge-${tone}`);

/** One account for an operator: its facts and roles, its subscription and receipts, its sign-ins. */
export default function UserDetailPage() {
  const { userId = '' } = useParams();
  const api = useApi();
  const queryClient = useQueryClient();
  const detail = useQuery({ queryKey: userKeys.detail(userId), queryFn: () => api.admin.user(userId), retry: (n, err) => !isNotFound(err) && n < 2 });
  const user = detail.data?.user;

  const back = (
    <p className="admin-back">
      <Link to="/admin/users">← All users</Link>
    </p>
  );

  if (detail.isPending) {
    return (
      <Page title="User" className="admin-page">
        {back}
        <Spinner label="Loading the account" />
      </Page>
    );
  }
  if (detail.isError || !user) {
    return (
      <Page title="User" heading={isNotFound(detail.error) ? 'No such account' : 'User'} className="admin-page">
        {back}
        {isNotFound(detail.error) ? (
          <EmptyState title="No account has this ID.">
            <p className="muted">It may have been mistyped; search for the account by e-mail instead.</p>
          </EmptyState>
        ) : (
          <ErrorBanner title="The account could not be loaded." error={detail.error}>
            <Button onClick={() => void detail.refetch()}>Try again</Button>
          </ErrorBanner>
        )}
      </Page>
    );
  }

  const profiles = detail.data.profiles ?? [];
  return (
    <Page title={user.email} className="admin-page admin-user">
      {back}
      <div className="admin-user-grid">
        <section className="admin-panel" aria-labelledby="user-account">
          <h2 id="user-account" className="admin-section-title">
            Account
          </h2>
          <dl className="admin-facts">
            <dt>Name</dt>
            <dd>{user.displayName || '—'}</dd>
            <dt>Roles</dt>
            <dd>
              <RoleBadges roles={user.roles} />
            </dd>
            <dt>Language</dt>
            <dd>{languageName(user.preferredLanguage) || '—'}</dd>
            <dt>Profiles</dt>
            <dd>{profiles.length > 0 ? `${profiles.length}: ${profiles.map((p) => (p.kids ? `${p.name} (kids)` : p.name)).join(', ')}` : 'None'}</dd>
            <dt>Created</dt>
            <dd>{formatDateTime(user.createTime) || '—'}</dd>
            <dt>Account ID</dt>
            <dd className="admin-mono">{user.id}</dd>
          </dl>
          <RolesForm
            key={(user.roles ?? []).join()}
            user={user}
            onSaved={(updated) => {
              queryClient.setQueryData(userKeys.detail(userId), { ...detail.data, user: updated });
            }}
          />
        </section>
        <SubscriptionSection userId={userId} />
      </div>
      <SessionsSection userId={userId} />
      <PaymentsSection userId={userId} />
    </Page>
  );
}

function SubscriptionSection({ userId }: { userId: string }) {
  const api = useApi();
  const plans = usePlans();
  const sub = useQuery({
    queryKey: userKeys.subscription(userId),
    // "Never subscribed" is an answer, not an error.
    queryFn: async (): Promise<Subscription | null> => {
      try {
        return await api.admin.userSubscription(userId);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
  });
  return (
    <section className="admin-panel" aria-labelledby="user-subscription" aria-busy={sub.isPending || undefined}>
      <h2 id="user-subscription" className="admin-section-title">
        Subscription
      </h2>
      <LoadState query={sub} loading="Loading the subscription" failed="The subscription could not be loaded." />
      {sub.isSuccess && !sub.data ? <p className="admin-empty-line">No subscription</p> : null}
      {sub.data ? <SubscriptionFacts sub={sub.data} planName={subscriptionPlanName(sub.data, plans.data)} /> : null}
    </section>
  );
}

function SubscriptionFacts({ sub, planName }: { sub: Subscription; planName: string }) {
  const status = subscriptionStatusLabel(sub);
  return (
    <dl className="admin-facts">
      <dt>Plan</dt>
      <dd>
        {planName} <span className="admin-sub admin-mono">{sub.planId}</span>
      </dd>
      <dt>Status</dt>
      <dd>
        <span className={badgeClass(status.tone)}>{status.label}</span>
      </dd>
      <dt>Period ends</dt>
      <dd>{formatDate(sub.currentPeriodEnd) || '—'}</dd>
      <dt>Cancels at period end</dt>
      <dd>{sub.cancelAtPeriodEnd ? 'Yes' : 'No'}</dd>
      {sub.trialEnd ? (
        <>
          <dt>Trial ends</dt>
          <dd>{formatDate(sub.trialEnd)}</dd>
        </>
      ) : null}
      {sub.graceUntil ? (
        <>
          <dt>Access until</dt>
          <dd>{formatDateTime(sub.graceUntil)}</dd>
        </>
      ) : null}
      <dt>Subscribed</dt>
      <dd>{formatDate(sub.createTime) || '—'}</dd>
    </dl>
  );
}

const SESSION_STATE: Record<string, { label: string; tone: Tone }> = {
  [UserSessionState.USER_SESSION_STATE_ACTIVE]: { label: 'Active', tone: 'ok' },
  [UserSessionState.USER_SESSION_STATE_REVOKED]: { label: 'Signed out', tone: 'neutral' },
  [UserSessionState.USER_SESSION_STATE_EXPIRED]: { label: 'Expired', tone: 'neutral' },
};

function sessionState(s: UserSession) {
  const state = SESSION_STATE[s.state] ?? { label: 'Unknown', tone: 'neutral' as Tone };
  if (s.state === UserSessionState.USER_SESSION_STATE_REVOKED && s.revokeTime) return { ...state, detail: formatDateTime(s.revokeTime) };
  if (s.state === UserSessionState.USER_SESSION_STATE_ACTIVE && s.expireTime) return { ...state, detail: `until ${formatDate(s.expireTime)}` };
  return { ...state, detail: '' };
}

function SessionsSection({ userId }: { userId: string }) {
  const api = useApi();
  const sessions = useInfiniteQuery({
    queryKey: userKeys.sessions(userId),
    queryFn: ({ pageParam }) => api.admin.userSessions(userId, { pageSize: SESSIONS_PAGE, pageToken: pageParam }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
  const list = sessions.data?.pages.flatMap((p) => p.sessions ?? []) ?? [];
  return (
    <section aria-labelledby="user-sessions" className="admin-user-section">
      <h2 id="user-sessions" className="admin-section-title">
        Recent sessions
      </h2>
      <p className="muted admin-note">Each sign-in, newest first. A session stays active while its device keeps refreshing it.</p>
      <LoadState query={sessions} loading="Loading sessions" failed="The sessions could not be loaded." />
      {sessions.isSuccess && list.length === 0 ? <p className="admin-empty-line">No sign-ins yet.</p> : null}
      {list.length > 0 ? (
        <div className="admin-table-wrap" role="region" aria-label="Sessions table" tabIndex={0}>
          <table className="admin-table">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => {
                const state = sessionState(s);
                return (
                  <tr key={s.id}>
                    <td>
                      <span className="admin-cell-strong">{deviceLabel(s.userAgent)}</span>
                      <span className="admin-sub admin-ua">{[s.clientIp, s.userAgent].filter(Boolean).join(' · ')}</span>
                    </td>
                    <td className="admin-cell-date">{formatDateTime(s.createTime)}</td>
                    <td className="admin-cell-date">{formatDateTime(s.lastUseTime)}</td>
                    <td>
                      <span className={badgeClass(state.tone)}>{state.label}</span>
                      {state.detail ? <span className="admin-sub">{state.detail}</span> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore query={sessions} label="Older sessions" errorTitle="Older sessions could not be loaded." />
    </section>
  );
}

function PaymentsSection({ userId }: { userId: string }) {
  const api = useApi();
  const payments = useInfiniteQuery({
    queryKey: userKeys.payments(userId),
    queryFn: ({ pageParam }) => api.admin.userPayments(userId, { pageSize: PAYMENTS_PAGE, pageToken: pageParam }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
  const list = payments.data?.pages.flatMap((p) => p.payments ?? []) ?? [];
  return (
    <section aria-labelledby="user-payments" className="admin-user-section">
      <h2 id="user-payments" className="admin-section-title">
        Recent payments
      </h2>
      <LoadState query={payments} loading="Loading payments" failed="The payments could not be loaded." />
      {payments.isSuccess && list.length === 0 ? <p className="admin-empty-line">No payments.</p> : null}
      {list.length > 0 ? (
        <div className="admin-table-wrap" role="region" aria-label="Payments table" tabIndex={0}>
          <table className="admin-table">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Description</th>
                <th scope="col">Amount</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => {
                const status = paymentStatusLabel(p.status);
                return (
                  <tr key={p.id}>
                    <td className="admin-cell-date">{formatDate(p.createTime)}</td>
                    <td>{p.description || p.planId || '—'}</td>
                    <td className="admin-num">{formatMoney(p.amount)}</td>
                    <td>
                      <span className={badgeClass(status.tone)}>{status.label}</span>
                      {p.failedAttempts > 0 ? <span className="admin-sub">{`${p.failedAttempts} failed attempt${p.failedAttempts === 1 ? '' : 's'}`}</span> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore query={payments} label="Older payments" errorTitle="Older payments could not be loaded." />
    </section>
  );
}
