/**
 * Envoy's path handling before routing: RFC 3986 normalisation (normalize_path) and slash merging
 * (merge_slashes). Only the path is touched, never the query.
 */

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Uppercases percent-encodings, decodes unreserved ones, removes "." and ".." segments. */
export function normalizePath(path: string): string {
  const withEscapes = path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
  const out: string[] = [];
  const segments = withEscapes.split('/');
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '.') {
      if (last) out.push('');
    } else if (s === '..') {
      out.pop();
      if (last) out.push('');
    } else out.push(s);
  }
  return `/${out.join('/')}`;
}

export function mergeSlashes(path: string): string {
  return path.replace(/\/{2,}/g, '/');
}

/** Splits a request target into path and query; absolute-form targets keep only their path. */
export function splitTarget(target: string): { path: string; query: string } {
  let t = target;
  if (/^https?:\/\//i.test(t)) {
    const u = new URL(t);
    t = u.pathname + u.search;
  }
  if (!t.startsWith('/')) t = `/${t}`;
  const q = t.indexOf('?');
  return q < 0 ? { path: t, query: '' } : { path: t.slice(0, q), query: t.slice(q + 1) };
}
