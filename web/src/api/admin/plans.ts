import type * as billing from '../gen/flix/billing/v1/billing_service';
import type { Plan } from '../gen/flix/billing/v1/resources';
import { enc, q, type AdminRequests, type Params } from './requests';

/** Studio → Plans: billing's plan administration. */
export const plansAdmin = ({ get, post }: AdminRequests) => ({
  plans: (params: Params<billing.ListPlansRequest, 'includeInactive'> = {}) =>
    get<billing.ListPlansResponse>('/v1/plans', { ...q(params), includeInactive: true }),
  createPlan: (plan: Partial<Plan>) => post<Plan>('/v1/admin/plans', plan),
  deactivatePlan: (planId: string) => post<Plan>(`/v1/admin/plans/${enc(planId)}:deactivate`),
});
