/** Number formatting for the streams screens: what `nats stream ls` prints, in the operator's locale. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** int64 fields travel as strings and are omitted when zero. */
export const count = (value: string | number | undefined): number => Number(value ?? 0) || 0;

export const formatCount = (value: string | number | undefined): string => count(value).toLocaleString();

/** "1.4 KiB" (binary units, as the NATS CLI shows them). */
export function formatBytes(value: string | number | undefined): string {
  let n = count(value);
  let unit = 0;
  while (n >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** Date and time to the second: a stream's first and last message, a message parked. */
export function formatInstant(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export const formatClock = (ms: number): string => (ms ? new Date(ms).toLocaleTimeString(undefined, { timeStyle: 'medium' }) : '');

/** Compact, for table cells: the time alone today ("7:15:39 PM"), else the date too ("Dec 3, 7:15 PM"). */
export function formatWhen(iso: string | undefined, now = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString(undefined, { timeStyle: 'medium' });
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', ...(d.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }), hour: 'numeric', minute: '2-digit' });
}
