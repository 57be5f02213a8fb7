/**
 * A client's value quoted in an error message, cut short. Messages travel in gRPC trailers, whose
 * size is limited: echoing a 70 KB genre back made the answer unsendable (the call then hung
 * until the gateway's timeout). JSON quoting also makes control characters visible.
 */
export function quoted(value: unknown, max = 40): string {
  const s = String(value);
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** An id from a request, cut short for a message (not-found answers name what was asked for). */
export function shortId(id: string, max = 40): string {
  return id.length > max ? `${id.slice(0, max)}…` : id;
}
