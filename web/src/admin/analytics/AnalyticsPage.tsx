import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { GetSummaryResponse } from '../../api/gen/flix/analytics/v1/analytics_service';
import type { AlertIncident, DailyStats, TitleStats } from '../../api/gen/flix/analytics/v1/resources';
import { ApiError } from '../../api/errors';
import { useApi } from '../../app/services';
import { Button } from '../../ui/Button';
import { EmptyState, ErrorBanner } from '../../ui/Feedback';
import { TextField } from '../../ui/Field';
import { Page } from '../../ui/Page';
import { DayChart, type ChartRow, type Series } from './DayChart';
import {
  ALERT_LABEL,
  formatAlertValue,
  formatCount,
  formatDay,
  formatDecimal,
  formatDuration,
  formatLongDay,
  formatMoneyMinor,
  formatMonth,
  formatPercent,
  formatTime,
  majorUnits,
  num,
} from './format';
import { analyticsKeys } from './keys';
import { apiWindow, dayCount, PRESETS, rangeFromParams, rangeParams, validateRange, type DayRange, type RangeErrors } from './range';
import '../admin.css';
import './analytics.css';
import { LoadState } from '../QueryStates';

const COLORS = { blue: '#60a5fa', green: '#4ade80', amber: '#fbbf24', red: '#f87171', violet: '#a78bfa', cyan: '#22d3ee' };

/**
 * Analytics: KPIs, per-day charts, top titles and alert incidents over a range of UTC days.
 * Every number is the summary API's; the page only formats them.
 */
export default function AnalyticsPage() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const range = rangeFromParams(params, new Date());
  const win = apiWindow(range);
  const [customOpen, setCustomOpen] = useState(!range.preset);

  const summary = useQuery({
    queryKey: analyticsKeys.summary(win.from, win.to),
    queryFn: () => api.admin.analyticsSummary({ ...win, titleLimit: 10 }),
    placeholderData: keepPreviousData,
  });
  const data = summary.data;

  return (
    <Page title="Analytics" className="admin-page an-page">
      <RangePicker
        range={range}
        customOpen={customOpen}
        onPreset={(days) => {
          setCustomOpen(false);
          setParams({ days: String(days) });
        }}
        onCustom={() => setCustomOpen(true)}
        onApply={(from, to) => setParams(rangeParams({ from, to }))}
        apiError={summary.error instanceof ApiError ? summary.error : undefined}
        refresh={() => void summary.refetch()}
        refreshing={summary.isFetching}
      />
      <p className="an-window" role="status">
        {data && !summary.isPlaceholderData ? (
          <>
            {windowLabel(range)} · {dayCount(range)} {dayCount(range) === 1 ? 'day' : 'days'} · UTC
            <span className="an-updated"> · updated {formatTime(new Date(summary.dataUpdatedAt).toISOString())}</span>
          </>
        ) : summary.isFetching ? (
          `Loading ${windowLabel(range)}…`
        ) : null}
      </p>

      <LoadState query={summary} loading="Loading the dashboard" failed="The dashboard could not be loaded." />
      {data ? (
        <div className="an-body" aria-busy={summary.isPlaceholderData || undefined}>
          <Kpis data={data} />
          <Charts data={data} range={range} />
          <TopTitles data={data} />
          <Alerts alerts={data.alerts ?? []} />
        </div>
      ) : null}
    </Page>
  );
}

const windowLabel = (r: DayRange) => (r.from === r.to ? formatLongDay(r.from) : `${formatLongDay(r.from)} – ${formatLongDay(r.to)}`);

function RangePicker({
  range,
  customOpen,
  onPreset,
  onCustom,
  onApply,
  apiError,
  refresh,
  refreshing,
}: {
  range: DayRange;
  customOpen: boolean;
  onPreset: (days: number) => void;
  onCustom: () => void;
  onApply: (from: string, to: string) => void;
  apiError: ApiError | undefined;
  refresh: () => void;
  refreshing: boolean;
}) {
  const [from, setFrom] = useState(range.from);
  const [to, setTo] = useState(range.to);
  const [errors, setErrors] = useState<RangeErrors>({});
  const groupId = useId();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = validateRange(from, to);
    setErrors(found);
    if (Object.keys(found).length === 0) onApply(from, to);
  };
  const custom = customOpen || !range.preset;

  return (
    <div className="an-range">
      <div className="an-range-row">
        <span id={groupId} className="an-range-label">
          Date range
        </span>
        <div className="an-presets" role="group" aria-labelledby={groupId}>
          {PRESETS.map((days) => (
            <button key={days} type="button" className="an-preset" aria-pressed={!custom && range.preset === days} onClick={() => onPreset(days)}>
              {days === 1 ? 'Today' : `Last ${days} days`}
            </button>
          ))}
          <button type="button" className="an-preset" aria-pressed={custom} aria-controls={custom ? `${groupId}-custom` : undefined} onClick={() => {
              setFrom(range.from);
              setTo(range.to);
              setErrors({});
              onCustom();
            }}
          >
            Custom
          </button>
        </div>
        <Button variant="ghost" className="an-refresh" onClick={refresh} busy={refreshing}>
          Refresh
        </Button>
      </div>
      {custom ? (
        <form id={`${groupId}-custom`} className="an-custom" onSubmit={submit} noValidate aria-label="Custom date range">
          <TextField label="First day (UTC)" type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} error={errors.from ?? apiError?.fieldError('from')} required />
          <TextField label="Last day (UTC)" type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} error={errors.to ?? apiError?.fieldError('to')} hint="Included; at most 400 days." required />
          <Button type="submit" variant="primary">
            Show
          </Button>
        </form>
      ) : null}
    </div>
  );
}

function Kpi({ label, value, sub, tone }: { label: string; value: ReactNode; sub?: ReactNode; tone?: 'warn' | 'danger' | 'ok' }) {
  const id = useId();
  return (
    <div className={`an-kpi${tone ? ` an-kpi-${tone}` : ''}`} role="group" aria-labelledby={id}>
      <p className="an-kpi-label" id={id}>
        {label}
      </p>
      <p className="an-kpi-value">{value}</p>
      {sub ? <p className="an-kpi-sub">{sub}</p> : null}
    </div>
  );
}

function KpiGroup({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className="an-kpi-group" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <div className="an-kpis">{children}</div>
    </section>
  );
}

function Kpis({ data }: { data: GetSummaryResponse }) {
  const u = data.users;
  const p = data.playback;
  const s = data.subscriptions;
  const pay = data.payments;
  const auth = data.auth;
  const months = u?.monthlyActiveUsers ?? [];
  const lastMonth = months.at(-1);
  const currency = s?.currency || pay?.currency || 'USD';
  const openAlerts = data.openAlerts?.length ?? 0;
  return (
    <div className="an-kpi-groups">
      <KpiGroup title="Audience">
        <Kpi label="Daily active users" value={formatDecimal(u?.averageDailyActiveUsers)} sub="average per day" />
        <Kpi
          label="Monthly active users"
          value={formatCount(lastMonth?.activeUsers)}
          sub={lastMonth ? `in ${formatMonth(lastMonth.month)}${months.length > 1 ? ` (${months.length} months in range)` : ''}` : 'no month in range'}
        />
        <Kpi label="Sign-ups" value={formatCount(u?.registrations)} sub="new accounts" />
      </KpiGroup>
      <KpiGroup title="Playback">
        <Kpi label="Plays" value={formatCount(p?.plays)} sub={`${formatCount(p?.sessionsEnded)} ${num(p?.sessionsEnded) === 1 ? 'session' : 'sessions'} ended`} />
        <Kpi label="Watch time" value={formatDuration(p?.watchSeconds)} sub="in ended sessions" />
        <Kpi label="Completion rate" value={formatPercent(p?.completionRate)} sub={`${formatCount(p?.completions)} of ${formatCount(p?.sessionsEnded)} finished`} />
        <Kpi
          label="Rebuffering ratio"
          value={formatPercent(p?.rebufferingRatio)}
          sub={`${formatDuration(num(p?.rebufferMs) / 1000)} stalled`}
          tone={(p?.rebufferingRatio ?? 0) >= 0.02 ? 'warn' : undefined}
        />
      </KpiGroup>
      <KpiGroup title="Subscriptions and revenue">
        <Kpi label="Active subscriptions" value={formatCount(s?.activeSubscriptions)} sub={`${formatCount(s?.activeAtStart)} at start · ${formatCount(s?.newSubscriptions)} new`} />
        <Kpi label="Paying subscriptions" value={formatCount(s?.payingSubscriptions)} sub="active, not trialing" />
        <Kpi label="MRR" value={formatMoneyMinor(s?.mrrMinor, currency)} sub="monthly recurring revenue at the end" />
        <Kpi
          label="Churn"
          value={formatPercent(s?.churnRate)}
          sub={`${formatCount(s?.churnedSubscriptions)} ended of ${formatCount(s?.activeAtStart)} active at start`}
          tone={num(s?.churnedSubscriptions) > 0 ? 'warn' : undefined}
        />
        <Kpi
          label="Payment success rate"
          value={formatPercent(pay?.successRate)}
          sub={`${formatCount(pay?.succeeded)} succeeded · ${formatCount(pay?.failed)} failed`}
          tone={num(pay?.failed) > 0 ? 'warn' : undefined}
        />
        <Kpi
          label="Revenue"
          value={formatMoneyMinor(pay?.revenueMinor, pay?.currency || currency)}
          sub={num(pay?.refundedMinor) > 0 ? `${formatMoneyMinor(pay?.refundedMinor, pay?.currency || currency)} refunded` : 'succeeded payments'}
        />
      </KpiGroup>
      <KpiGroup title="Health">
        <Kpi
          label="Failed sign-ins"
          value={formatCount(auth?.loginsFailed)}
          sub={`${formatPercent(auth?.loginFailureRate)} of ${formatCount(num(auth?.loginsFailed) + num(auth?.loginsSucceeded))} attempts`}
          tone={num(auth?.loginsFailed) > 0 ? 'warn' : undefined}
        />
        <Kpi
          label="Dead letters"
          value={formatCount(data.deadLetters)}
          sub={<Link to="/admin/dead-letters">Open the dead-letter queue</Link>}
          tone={num(data.deadLetters) > 0 ? 'danger' : undefined}
        />
        <Kpi label="Open alerts" value={formatCount(openAlerts)} sub="now" tone={openAlerts > 0 ? 'danger' : 'ok'} />
        <Kpi label="Events ingested" value={formatCount(data.eventsIngested)} sub="all streams" />
      </KpiGroup>
    </div>
  );
}

/** "Highest 5 on 3 Dec" — a pick among the API's day values, for the chart's description. */
function peak(days: DailyStats[], pick: (d: DailyStats) => number, format: (v: number) => string): string {
  let best: DailyStats | undefined;
  for (const d of days) if (!best || pick(d) > pick(best)) best = d;
  return best && pick(best) > 0 ? `highest ${format(pick(best))} on ${formatDay(best.day)}` : 'none on any day';
}

function Charts({ data, range }: { data: GetSummaryResponse; range: DayRange }) {
  const days = data.days ?? [];
  const currency = data.subscriptions?.currency || data.payments?.currency || 'USD';
  // Charts plot major units; the tables and tooltips write them back as money.
  const major = (minor: string) => majorUnits(minor, currency);
  const asMoney = (v: number) => formatMoneyMinor(Math.round(v / majorUnits(1, currency)), currency);
  const asMoneyAxis = (v: number) => formatMoneyMinor(Math.round(v / majorUnits(1, currency)), currency, true);
  const rows: ChartRow[] = days.map((d) => ({
    day: d.day,
    activeUsers: num(d.activeUsers),
    registrations: num(d.registrations),
    plays: num(d.plays),
    watchHours: d.watchSeconds / 3600,
    completionRate: d.completionRate,
    rebufferingRatio: d.rebufferingRatio,
    activeSubscriptions: num(d.activeSubscriptions),
    payingSubscriptions: num(d.payingSubscriptions),
    newSubscriptions: num(d.newSubscriptions),
    churnedSubscriptions: num(d.churnedSubscriptions),
    revenue: major(d.revenueMinor),
    mrr: major(d.mrrMinor),
    paymentsSucceeded: num(d.paymentsSucceeded),
    paymentsFailed: num(d.paymentsFailed),
    loginsFailed: num(d.loginsFailed),
    deadLetters: num(d.deadLetters),
  }));
  const count = (v: number) => formatCount(v);
  const hours = (v: number) => formatDuration(v * 3600);
  const span = `${dayCount(range)} ${dayCount(range) === 1 ? 'day' : 'days'}`;
  const last = days.at(-1);
  const charts: { title: string; description: string; series: Series[]; format: (v: number) => string; axisFormat?: (v: number) => string; ratio?: boolean }[] = [
    {
      title: 'Active users',
      description: `distinct active accounts per day over ${span}; ${peak(days, (d) => num(d.activeUsers), count)}.`,
      series: [
        { key: 'activeUsers', label: 'Active users', color: COLORS.blue, kind: 'line' },
        { key: 'registrations', label: 'Sign-ups', color: COLORS.violet, kind: 'bar' },
      ],
      format: count,
    },
    {
      title: 'Plays',
      description: `playback sessions started per day; ${formatCount(data.playback?.plays)} in the range, ${peak(days, (d) => num(d.plays), count)}.`,
      series: [{ key: 'plays', label: 'Plays', color: COLORS.blue, kind: 'bar' }],
      format: count,
    },
    {
      title: 'Watch time',
      description: `hours watched per day; ${formatDuration(data.playback?.watchSeconds)} in the range, ${peak(days, (d) => d.watchSeconds / 3600, hours)}.`,
      series: [{ key: 'watchHours', label: 'Watch time', color: COLORS.cyan, kind: 'bar' }],
      format: hours,
      axisFormat: (v) => `${formatDecimal(v)} h`,
    },
    {
      title: 'Playback quality',
      description: `completion rate and rebuffering ratio per day; over the range ${formatPercent(data.playback?.completionRate)} completed and ${formatPercent(data.playback?.rebufferingRatio)} rebuffering.`,
      series: [
        { key: 'completionRate', label: 'Completion rate', color: COLORS.green, kind: 'line' },
        { key: 'rebufferingRatio', label: 'Rebuffering ratio', color: COLORS.red, kind: 'line' },
      ],
      format: formatPercent,
      axisFormat: (v) => `${Math.round(v * 100)}%`,
      ratio: true,
    },
    {
      title: 'Subscriptions',
      description: `active and paying subscriptions at each day's end; ${formatCount(last?.activeSubscriptions)} active and ${formatCount(last?.payingSubscriptions)} paying on the last day.`,
      series: [
        { key: 'activeSubscriptions', label: 'Active', color: COLORS.green, kind: 'line' },
        { key: 'payingSubscriptions', label: 'Paying', color: COLORS.amber, kind: 'line' },
      ],
      format: count,
    },
    {
      title: 'New and churned subscriptions',
      description: `subscriptions started and ended per day; ${formatCount(data.subscriptions?.newSubscriptions)} new and ${formatCount(data.subscriptions?.churnedSubscriptions)} churned in the range.`,
      series: [
        { key: 'newSubscriptions', label: 'New', color: COLORS.green, kind: 'bar' },
        { key: 'churnedSubscriptions', label: 'Churned', color: COLORS.red, kind: 'bar' },
      ],
      format: count,
    },
    {
      title: 'Revenue and MRR',
      description: `succeeded payments per day and monthly recurring revenue at each day's end; ${formatMoneyMinor(data.payments?.revenueMinor, currency)} revenue in the range, MRR ${formatMoneyMinor(last?.mrrMinor, currency)} on the last day.`,
      series: [
        { key: 'revenue', label: 'Revenue', color: COLORS.violet, kind: 'bar' },
        { key: 'mrr', label: 'MRR', color: COLORS.amber, kind: 'line' },
      ],
      format: asMoney,
      axisFormat: asMoneyAxis,
    },
    {
      title: 'Payments',
      description: `payments succeeded and failed per day; ${formatCount(data.payments?.succeeded)} succeeded and ${formatCount(data.payments?.failed)} failed (${formatPercent(data.payments?.successRate)} success) in the range.`,
      series: [
        { key: 'paymentsSucceeded', label: 'Succeeded', color: COLORS.green, kind: 'bar', stack: 'payments' },
        { key: 'paymentsFailed', label: 'Failed', color: COLORS.red, kind: 'bar', stack: 'payments' },
      ],
      format: count,
    },
    {
      title: 'Failed sign-ins and dead letters',
      description: `failed sign-ins and messages parked on the dead-letter queue per day; ${formatCount(data.auth?.loginsFailed)} failed sign-ins and ${formatCount(data.deadLetters)} dead letters in the range.`,
      series: [
        { key: 'loginsFailed', label: 'Failed sign-ins', color: COLORS.amber, kind: 'bar' },
        { key: 'deadLetters', label: 'Dead letters', color: COLORS.red, kind: 'bar' },
      ],
      format: count,
    },
  ];
  return (
    <section className="an-section" aria-labelledby="an-trends">
      <h2 id="an-trends">Day by day</h2>
      <div className="an-charts">
        {charts.map((c) => (
          <DayChart key={c.title} rows={rows} {...c} />
        ))}
      </div>
    </section>
  );
}

function TopTitles({ data }: { data: GetSummaryResponse }) {
  const api = useApi();
  const byPlays = data.topTitlesByPlays ?? [];
  const byRebuffering = data.topTitlesByRebuffering ?? [];
  const ids = [...new Set([...byPlays, ...byRebuffering].map((t) => t.movieId))].sort();
  const names = useQuery({
    queryKey: analyticsKeys.titleNames(ids),
    queryFn: () => api.movies.batchGet(ids),
    enabled: ids.length > 0,
    staleTime: 5 * 60_000,
  });
  const nameOf = new Map((names.data?.movies ?? []).map((m) => [m.id, m.title]));
  const name = (id: string) => nameOf.get(id);
  return (
    <section className="an-section" aria-labelledby="an-titles">
      <h2 id="an-titles">Titles</h2>
      {names.isError ? <ErrorBanner title="Title names could not be loaded; ids are shown instead." /> : null}
      <div className="an-two">
        <TitleTable
          caption="Most played"
          empty="No plays in this range."
          titles={byPlays}
          name={name}
          columns={[
            { label: 'Plays', value: (t) => formatCount(t.plays) },
            { label: 'Watch time', value: (t) => formatDuration(t.watchSeconds) },
            { label: 'Completion', value: (t) => formatPercent(t.completionRate) },
          ]}
        />
        <TitleTable
          caption="Most rebuffering"
          empty="No ended sessions in this range."
          titles={byRebuffering}
          name={name}
          columns={[
            { label: 'Rebuffering', value: (t) => formatPercent(t.rebufferingRatio) },
            { label: 'Stalled', value: (t) => formatDuration(num(t.rebufferMs) / 1000) },
            { label: 'Sessions', value: (t) => formatCount(t.sessionsEnded) },
          ]}
        />
      </div>
    </section>
  );
}

function TitleTable({
  caption,
  empty,
  titles,
  name,
  columns,
}: {
  caption: string;
  empty: string;
  titles: TitleStats[];
  name: (id: string) => string | undefined;
  columns: { label: string; value: (t: TitleStats) => string }[];
}) {
  const id = useId();
  return (
    <div className="an-panel">
      <h3 id={id}>{caption}</h3>
      {titles.length === 0 ? (
        <p className="muted an-empty">{empty}</p>
      ) : (
        <div className="admin-table-wrap" role="region" aria-labelledby={id} tabIndex={0}>
          <table className="admin-table">
            <thead>
              <tr>
                <th scope="col" className="an-rank">
                  #
                </th>
                <th scope="col">Title</th>
                {columns.map((c) => (
                  <th scope="col" key={c.label} className="an-num">
                    {c.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {titles.map((t, i) => (
                <tr key={t.movieId}>
                  <td className="an-rank admin-num">{i + 1}</td>
                  <th scope="row" className="admin-cell-strong">
                    {name(t.movieId) ? (
                      <Link to={`/admin/titles/${encodeURIComponent(t.movieId)}`}>{name(t.movieId)}</Link>
                    ) : (
                      <span className="admin-mono">{t.movieId}</span>
                    )}
                  </th>
                  {columns.map((c) => (
                    <td key={c.label} className="admin-num an-num">
                      {c.value(t)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function Alerts({ alerts }: { alerts: AlertIncident[] }) {
  return (
    <section className="an-section" aria-labelledby="an-alerts">
      <h2 id="an-alerts">Alerts</h2>
      {alerts.length === 0 ? (
        <EmptyState title="No alert was raised or open in this range." />
      ) : (
        <div className="admin-table-wrap" role="region" aria-label="Alerts in the range" tabIndex={0}>
          <table className="admin-table">
            <thead>
              <tr>
                <th scope="col">Alert</th>
                <th scope="col">Status</th>
                <th scope="col">Raised</th>
                <th scope="col">Resolved</th>
                <th scope="col" className="an-num">
                  Value
                </th>
                <th scope="col" className="an-num">
                  Threshold
                </th>
                <th scope="col" className="an-num">
                  Sample
                </th>
              </tr>
            </thead>
            <tbody>
              {alerts.map(({ alert, resolveTime }) =>
                alert ? (
                  <tr key={alert.incidentId}>
                    <th scope="row" className="admin-cell-strong">
                      {ALERT_LABEL[alert.kind] ?? alert.kind}
                      <span className="admin-sub">over {formatDuration(num(alert.windowSeconds))}</span>
                    </th>
                    <td>{resolveTime ? <span className="badge badge-ok">Resolved</span> : <span className="badge badge-danger">Open</span>}</td>
                    <td className="admin-cell-date">{formatTime(alert.raiseTime)}</td>
                    <td className="admin-cell-date">{resolveTime ? formatTime(resolveTime) : <span className="muted">—</span>}</td>
                    <td className="admin-num an-num">{formatAlertValue(alert.kind, alert.value)}</td>
                    <td className="admin-num an-num">{formatAlertValue(alert.kind, alert.threshold)}</td>
                    <td className="admin-num an-num">{formatCount(alert.sampleSize)}</td>
                  </tr>
                ) : null,
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
