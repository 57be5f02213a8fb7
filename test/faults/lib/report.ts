/** The figures of a fault run, as the docs table them. */
import type { Attempt } from './client.js';
import type { KillResult } from './faults.js';
import type { Verification } from './verify.js';

export interface FaultReport {
  variant: string;
  virtualUsers: number;
  /** Attempts (retries included) from the first kill until the last recovery. */
  requestsDuringFaults: number;
  requestsTotal: number;
  /** Non-2xx/3xx answers and errors the clients saw during the faults, by status or error code. */
  errorsByStatus: Record<string, number>;
  /** The same by step and status, e.g. "rate 503" (a "subscription 404" is the poll before the webhook lands). */
  errorsByOp: Record<string, number>;
  /** Logical calls that ran out of retries, by step. */
  gaveUp: Record<string, number>;
  kills: { name: string; restartedMs?: number; healthyMs?: number; healthzSawIt: boolean; statusSawIt: boolean }[];
  acknowledged: Verification['checked'];
  itemsLost: number;
  counts: Verification['counts'];
}

export function buildReport(args: { variant: string; virtualUsers: number; attempts: Attempt[]; kills: KillResult[]; gaveUp: Map<string, number>; verification: Verification }): FaultReport {
  const first = Math.min(...args.kills.map((k) => k.at));
  const last = Math.max(...args.kills.map((k) => k.at + (k.healthyMs ?? 0)));
  const load = args.attempts.filter((a) => a.vu >= 0);
  const during = load.filter((a) => a.at >= first && a.at <= last);
  const errorsByStatus: Record<string, number> = {};
  const errorsByOp: Record<string, number> = {};
  for (const a of during) {
    if (a.status !== undefined && a.status < 400) continue;
    const k = String(a.status ?? a.error);
    errorsByStatus[k] = (errorsByStatus[k] ?? 0) + 1;
    errorsByOp[`${a.op} ${k}`] = (errorsByOp[`${a.op} ${k}`] ?? 0) + 1;
  }
  return {
    variant: args.variant,
    virtualUsers: args.virtualUsers,
    requestsDuringFaults: during.length,
    requestsTotal: load.length,
    errorsByStatus,
    errorsByOp,
    gaveUp: Object.fromEntries(args.gaveUp),
    kills: args.kills.map(({ name, restartedMs, healthyMs, healthzSawIt, statusSawIt }) => ({ name, restartedMs, healthyMs, healthzSawIt, statusSawIt })),
    acknowledged: args.verification.checked,
    itemsLost: args.verification.lost.length,
    counts: args.verification.counts,
  };
}

export function formatReport(r: FaultReport): string {
  const lines = [
    `fault suite (${r.variant}, ${r.virtualUsers} virtual users): ${r.requestsTotal} requests, ${r.requestsDuringFaults} during the faults`,
    `errors seen by clients during the faults: ${Object.entries(r.errorsByStatus).map(([k, v]) => `${k}×${v}`).join(', ') || 'none'}`,
    `  by step: ${Object.entries(r.errorsByOp).map(([k, v]) => `${k}×${v}`).join(', ') || 'none'}`,
    `gave up after retries: ${Object.entries(r.gaveUp).map(([k, v]) => `${k}×${v}`).join(', ') || 'none'}`,
    '| killed | running again (s) | healthy (s) | /healthz saw it down | status file saw it down |',
    '| --- | ---: | ---: | --- | --- |',
    ...r.kills.map((k) => `| ${k.name} | ${k.restartedMs === undefined ? '—' : (k.restartedMs / 1000).toFixed(1)} | ${k.healthyMs === undefined ? 'NOT within the bound' : (k.healthyMs / 1000).toFixed(1)} | ${k.healthzSawIt ? 'yes' : 'no'} | ${k.statusSawIt ? 'yes' : 'no'} |`),
    `acknowledged and checked: ${Object.entries(r.acknowledged).map(([k, v]) => `${k} ${v}`).join(', ')}; items lost: ${r.itemsLost}`,
    `analytics vs truth: ${r.counts.map((c) => `${c.what} ${c.analytics}/${c.truth}`).join(', ')}`,
  ];
  return lines.join('\n');
}
