import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useLocation } from 'react-router';
import type { Api, Plan } from '../../api/client';
import { ConfirmAction } from '../../account/ConfirmAction';
import { billingKeys, intervalWord, qualityLabel, tierLabel } from '../../account/billing';
import { useApi } from '../../app/services';
import { formatMoney } from '../../lib/format';
import { ButtonLink } from '../../ui/Button';
import { EmptyState, Notice } from '../../ui/Feedback';
import { Page } from '../../ui/Page';
import { adminKeys } from '../admin';
import '../admin.css';
import { LoadState, allPages } from '../QueryStates';

/** Every plan, inactive ones included (billing pages them; an operator wants the whole table). */
const allPlans = (api: Api): Promise<Plan[]> => allPages((pageToken) => api.admin.plans({ pageSize: 50, pageToken }), (page) => page.plans);

export const planLabel = (plan: Plan): string => plan.displayName || plan.id;

/** Plans: the table (inactive too), deactivation after a confirmation, and the way to a new plan. */
export default function PlansPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const location = useLocation();
  const [notice, setNotice] = useState<string | undefined>((location.state as { notice?: string } | null)?.notice);
  const plans = useQuery({ queryKey: adminKeys.plans, queryFn: () => allPlans(api) });
  const noticeRef = useRef<HTMLDivElement>(null);

  const deactivate = async (plan: Plan) => {
    await api.admin.deactivatePlan(plan.id);
    setNotice(`${planLabel(plan)} is deactivated: new subscribers can no longer choose it.`);
    // The viewer's plan list (cached by the account screens) is stale too.
    await Promise.all([queryClient.invalidateQueries({ queryKey: adminKeys.plans }), queryClient.invalidateQueries({ queryKey: billingKeys.plans })]);
    // The row's button is gone now: keyboard focus goes to what happened instead.
    requestAnimationFrame(() => noticeRef.current?.focus());
  };

  return (
    <Page title="Plans" className="admin-page">
      <div className="admin-toolbar admin-toolbar-end">
        <ButtonLink to="/admin/plans/new" variant="primary">
          New plan
        </ButtonLink>
      </div>
      <div ref={noticeRef} tabIndex={-1} className="admin-notice">
        {notice ? <Notice tone="success">{notice}</Notice> : null}
      </div>
      <LoadState query={plans} loading="Loading plans" failed="The plans could not be loaded." />
      {plans.isSuccess && plans.data.length === 0 ? <EmptyState title="No plans yet." /> : null}
      {plans.isSuccess && plans.data.length > 0 ? (
        <div className="admin-table-wrap" role="region" aria-label="Plans table" tabIndex={0}>
          <table className="admin-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Tier</th>
                <th scope="col">Interval</th>
                <th scope="col">Price</th>
                <th scope="col">Streams</th>
                <th scope="col">Quality</th>
                <th scope="col">Trial</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {plans.data.map((plan) => (
                <tr key={plan.id} className={plan.active ? undefined : 'admin-row-inactive'}>
                  <th scope="row" className="admin-cell-strong">
                    {planLabel(plan)}
                    <span className="admin-mono admin-sub">{plan.id}</span>
                  </th>
                  <td>{tierLabel(plan.tier)}</td>
                  <td>{intervalWord(plan.interval)}</td>
                  <td className="admin-num">{formatMoney(plan.price)}</td>
                  <td className="admin-num">{plan.maxConcurrentStreams || '—'}</td>
                  <td>{qualityLabel(plan.maxQuality)}</td>
                  <td className="admin-num">{plan.trialDays ? `${plan.trialDays} days` : 'None'}</td>
                  <td>{plan.active ? <span className="badge badge-ok">Active</span> : <span className="badge">Inactive</span>}</td>
                  <td>
                    {plan.active ? (
                      <ConfirmAction
                        label="Deactivate"
                        accessibleLabel={`Deactivate ${planLabel(plan)}`}
                        prompt={`Deactivate ${planLabel(plan)}? New subscribers can no longer choose it; current subscribers keep it.`}
                        confirmLabel={`Yes, deactivate ${planLabel(plan)}`}
                        cancelLabel="Keep it active"
                        onConfirm={() => deactivate(plan)}
                      />
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Page>
  );
}
