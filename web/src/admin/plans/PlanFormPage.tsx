import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import type { Plan } from '../../api/client';
import { ApiError } from '../../api/errors';
import { BillingInterval, PlanTier, VideoQuality } from '../../api/gen/flix/billing/v1/resources';
import { billingKeys, qualityLabel, tierLabel } from '../../account/billing';
import { useApi } from '../../app/services';
import { Button, ButtonLink } from '../../ui/Button';
import { ErrorBanner } from '../../ui/Feedback';
import { SelectField, TextArea, TextField } from '../../ui/Field';
import { Page } from '../../ui/Page';
import { adminKeys, currencyDigits, toMinorUnits } from '../admin';
import '../admin.css';

interface Draft {
  id: string;
  displayName: string;
  tier: PlanTier;
  interval: BillingInterval;
  amount: string;
  currency: string;
  streams: string;
  quality: VideoQuality;
  features: string;
  trialDays: string;
}

const EMPTY: Draft = {
  id: '',
  displayName: '',
  tier: PlanTier.PLAN_TIER_STANDARD,
  interval: BillingInterval.BILLING_INTERVAL_MONTHLY,
  amount: '',
  currency: 'USD',
  streams: '2',
  quality: VideoQuality.VIDEO_QUALITY_HD,
  features: '',
  trialDays: '0',
};

/** Each form field and the request field billing names in its violations (services/billing plans.ts). */
const FIELDS: { key: keyof Draft; api: string[] }[] = [
  { key: 'id', api: ['plan.id'] },
  { key: 'displayName', api: ['plan.displayName'] },
  { key: 'tier', api: ['plan.tier'] },
  { key: 'interval', api: ['plan.interval'] },
  { key: 'amount', api: ['plan.price.amountMinor', 'plan.price'] },
  { key: 'currency', api: ['plan.price.currency'] },
  { key: 'streams', api: ['plan.maxConcurrentStreams'] },
  { key: 'quality', api: ['plan.maxQuality'] },
  { key: 'features', api: ['plan.features'] },
  { key: 'trialDays', api: ['plan.trialDays'] },
];

type Errors = Partial<Record<keyof Draft, string>>;

function errorsFrom(err: unknown): Errors {
  if (!(err instanceof ApiError)) return {};
  const out: Errors = {};
  for (const f of FIELDS) {
    const message = f.api.map((a) => err.fieldViolations.find((v) => v.field === a)?.description).find(Boolean);
    if (message) out[f.key] = message;
  }
  return out;
}

const int = (text: string): number => (text.trim() === '' ? 0 : Number(text));

/** New plan: billing creates it and its Stripe product and price; its messages show beside each field. */
export default function PlanFormPage() {
  const api = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [local, setLocal] = useState<Errors>({});
  const formRef = useRef<HTMLFormElement>(null);

  const create = useMutation({
    mutationFn: (plan: Partial<Plan>) => api.admin.createPlan(plan),
    onSuccess: async (plan) => {
      await Promise.all([queryClient.invalidateQueries({ queryKey: adminKeys.plans }), queryClient.invalidateQueries({ queryKey: billingKeys.plans })]);
      navigate('/admin/plans', { state: { notice: `${plan.displayName || plan.id} is created.` } });
    },
  });

  const errors: Errors = { ...errorsFrom(create.error), ...local };
  const unplaced = create.error && Object.keys(errorsFrom(create.error)).length === 0 ? create.error : undefined;
  const errorCount = Object.keys(errors).length;

  // After a refusal, keyboard and screen-reader users land on the first field to fix.
  useEffect(() => {
    if (errorCount > 0) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errorCount, create.error, local]);

  const set = <K extends keyof Draft>(key: K) => (value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.reset();
    const currency = draft.currency.trim().toUpperCase();
    const amountMinor = toMinorUnits(draft.amount, currency);
    if (amountMinor === undefined) {
      const digits = currencyDigits(currency || 'USD');
      setLocal({ amount: digits > 0 ? `Enter an amount such as 9.${'9'.repeat(digits)}` : 'Enter a whole amount such as 999' });
      return;
    }
    setLocal({});
    create.mutate({
      id: draft.id.trim(),
      displayName: draft.displayName.trim(),
      tier: draft.tier,
      interval: draft.interval,
      price: { amountMinor, currency },
      maxConcurrentStreams: int(draft.streams),
      maxQuality: draft.quality,
      features: draft.features
        .split('\n')
        .map((f) => f.trim())
        .filter(Boolean),
      trialDays: int(draft.trialDays),
      active: true,
    });
  };

  return (
    <Page title="New plan" className="admin-page">
      <form ref={formRef} className="admin-form" onSubmit={submit} noValidate aria-describedby={unplaced ? 'admin-plan-error' : undefined}>
        {errorCount > 0 ? (
          <p className="field-error" role="alert">
            Billing did not accept the plan: check the {errorCount === 1 ? 'field' : `${errorCount} fields`} marked below.
          </p>
        ) : null}
        <div id="admin-plan-error">{unplaced ? <ErrorBanner title="The plan was not created." error={unplaced} /> : null}</div>

        <TextField label="Display name" value={draft.displayName} onChange={(e) => set('displayName')(e.target.value)} error={errors.displayName} maxLength={80} required />
        <TextField
          label="Plan ID"
          value={draft.id}
          onChange={(e) => set('id')(e.target.value)}
          error={errors.id}
          hint="A stable slug, e.g. premium-monthly: lower-case letters, digits and dashes. It cannot change later."
          autoComplete="off"
          spellCheck={false}
          required
        />
        <div className="admin-form-row">
          <SelectField label="Tier" value={draft.tier} onChange={(e) => set('tier')(e.target.value as PlanTier)} error={errors.tier}>
            {[PlanTier.PLAN_TIER_BASIC, PlanTier.PLAN_TIER_STANDARD, PlanTier.PLAN_TIER_PREMIUM].map((t) => (
              <option key={t} value={t}>
                {tierLabel(t)}
              </option>
            ))}
          </SelectField>
          <SelectField label="Interval" value={draft.interval} onChange={(e) => set('interval')(e.target.value as BillingInterval)} error={errors.interval}>
            <option value={BillingInterval.BILLING_INTERVAL_MONTHLY}>Monthly</option>
            <option value={BillingInterval.BILLING_INTERVAL_YEARLY}>Yearly</option>
          </SelectField>
        </div>
        <div className="admin-form-row">
          <TextField label="Price" inputMode="decimal" value={draft.amount} onChange={(e) => set('amount')(e.target.value)} error={errors.amount} hint="Per interval, e.g. 9.99" required />
          <TextField
            label="Currency"
            value={draft.currency}
            onChange={(e) => set('currency')(e.target.value.toUpperCase())}
            error={errors.currency}
            hint="ISO 4217, e.g. USD"
            maxLength={3}
            autoComplete="off"
            className="admin-input-short"
          />
        </div>
        <div className="admin-form-row">
          <TextField label="Screens at a time" type="number" inputMode="numeric" min={1} max={10} value={draft.streams} onChange={(e) => set('streams')(e.target.value)} error={errors.streams} />
          <SelectField label="Maximum quality" value={draft.quality} onChange={(e) => set('quality')(e.target.value as VideoQuality)} error={errors.quality}>
            {[VideoQuality.VIDEO_QUALITY_SD, VideoQuality.VIDEO_QUALITY_HD, VideoQuality.VIDEO_QUALITY_UHD].map((q) => (
              <option key={q} value={q}>
                {qualityLabel(q)}
              </option>
            ))}
          </SelectField>
          <TextField label="Trial days" type="number" inputMode="numeric" min={0} max={90} value={draft.trialDays} onChange={(e) => set('trialDays')(e.target.value)} error={errors.trialDays} hint="0: no free trial" />
        </div>
        <TextArea label="Features" rows={4} value={draft.features} onChange={(e) => set('features')(e.target.value)} error={errors.features} hint="One per line, as subscribers read them on the plans page." />

        <div className="row-actions">
          <Button type="submit" variant="primary" busy={create.isPending}>
            Create plan
          </Button>
          <ButtonLink to="/admin/plans" variant="ghost">
            Cancel
          </ButtonLink>
        </div>
      </form>
    </Page>
  );
}
