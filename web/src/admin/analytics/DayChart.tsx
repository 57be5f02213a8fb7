import { useId } from 'react';
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatDay, formatLongDay } from './format';

export interface Series {
  /** Key of the value in each row. */
  key: string;
  label: string;
  color: string;
  kind: 'line' | 'bar';
  /** Bars with the same stack id sit on top of each other. */
  stack?: string;
}

export type ChartRow = { day: string } & Record<string, number | string>;

const AXIS = '#b4b4bf';
const GRID = '#34343f';

/**
 * One chart over the window's days, with its words for everyone: the figure's caption, a short
 * description screen readers read as the image's name, and the numbers in a table a click away.
 * The table's cells are the API's values as the tiles format them.
 */
export function DayChart({
  title,
  description,
  rows,
  series,
  format,
  axisFormat = format,
  ratio = false,
}: {
  title: string;
  description: string;
  rows: ChartRow[];
  series: Series[];
  /** How a value is written in the tooltip and the table. */
  format: (v: number) => string;
  axisFormat?: (v: number) => string;
  /** Values are 0..1 ratios: the axis runs 0–100% at least. */
  ratio?: boolean;
}) {
  const id = useId();
  return (
    <figure className="an-chart" aria-labelledby={`${id}-title`}>
      <figcaption className="an-chart-head">
        <h3 id={`${id}-title`}>{title}</h3>
      </figcaption>
      <div className="an-chart-plot" role="img" aria-label={`${title}: ${description}`}>
        <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 520, height: 220 }}>
          <ComposedChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid stroke={GRID} strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="day" tickFormatter={formatDay} stroke={AXIS} tick={{ fill: AXIS, fontSize: 12 }} tickLine={false} minTickGap={16} />
            <YAxis tickFormatter={axisFormat} stroke={AXIS} tick={{ fill: AXIS, fontSize: 12 }} tickLine={false} axisLine={false} width={64} allowDecimals={ratio} domain={ratio ? [0, (max: number) => Math.max(1, max)] : [0, 'auto']} />
            <Tooltip
              formatter={(v) => format(Number(v))}
              labelFormatter={(d) => formatLongDay(String(d))}
              contentStyle={{ background: '#17171f', border: '1px solid #34343f', borderRadius: 8, color: '#f2f2f5' }}
              labelStyle={{ color: '#f2f2f5', fontWeight: 600 }}
              cursor={{ fill: 'rgba(255,255,255,0.06)' }}
            />
            {series.length > 1 ? <Legend wrapperStyle={{ fontSize: 12, color: AXIS }} iconSize={10} /> : null}
            {series.map((s) =>
              s.kind === 'bar' ? (
                <Bar key={s.key} dataKey={s.key} name={s.label} fill={s.color} stackId={s.stack} maxBarSize={28} isAnimationActive={false} />
              ) : (
                <Line key={s.key} dataKey={s.key} name={s.label} stroke={s.color} strokeWidth={2} type="monotone" dot={rows.length <= 14 ? { r: 3 } : false} isAnimationActive={false} />
              ),
            )}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <details className="an-chart-data">
        <summary>Table of {title.toLowerCase()}</summary>
        <div className="admin-table-wrap an-table-scroll" role="region" aria-label={`${title} by day`} tabIndex={0}>
          <table className="admin-table">
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                {series.map((s) => (
                  <th scope="col" key={s.key} className="an-num">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.day}>
                  <th scope="row" className="admin-cell-date">
                    {formatLongDay(r.day)}
                  </th>
                  {series.map((s) => (
                    <td key={s.key} className="admin-num an-num">
                      {format(Number(r[s.key] ?? 0))}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
