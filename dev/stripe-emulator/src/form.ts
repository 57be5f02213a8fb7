/**
 * Stripe's v1 API takes `application/x-www-form-urlencoded` bodies (and query strings) with
 * qs-style nesting: `metadata[plan]=pro`, `line_items[0][price]=price_1`, `expand[]=customer`.
 * This turns them back into nested objects and arrays; every leaf stays a string (the param
 * schemas in params.ts coerce and validate).
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

/** `a[b][0][c]` → ['a', 'b', '0', 'c']; `a[]` → ['a', '']. */
function splitKey(key: string): string[] {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!m) return [key];
  const rest = [...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]);
  return [m[1], ...rest];
}

interface Node {
  [key: string]: Node | string;
}

export function decodeForm(pairs: Iterable<[string, string]>): FormObject {
  const root: Node = {};
  const appendCounters = new Map<Node, number>();
  for (const [rawKey, value] of pairs) {
    const path = splitKey(rawKey);
    let node = root;
    for (let i = 0; i < path.length; i++) {
      let seg = path[i];
      // `x[]` appends: give it the next free index of that container.
      if (seg === '') {
        const n = appendCounters.get(node) ?? Object.keys(node).length;
        appendCounters.set(node, n + 1);
        seg = String(n);
      }
      if (i === path.length - 1) {
        node[seg] = value;
      } else {
        const next = node[seg];
        if (typeof next !== 'object') node[seg] = {};
        node = node[seg] as Node;
      }
    }
  }
  return toValue(root, '') as FormObject;
}

/** Objects whose keys are all array indexes become arrays, except under metadata (any keys). */
function toValue(node: Node | string, parentKey: string): FormValue {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  const isArray = parentKey !== 'metadata' && keys.length > 0 && keys.every((k) => /^\d+$/.test(k));
  if (isArray) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => toValue(node[String(k)], String(k)));
  }
  const out: FormObject = {};
  for (const k of keys) out[k] = toValue(node[k], k);
  return out;
}

export function parseFormBody(text: string): FormObject {
  return decodeForm(new URLSearchParams(text).entries());
}

/** A stable serialisation (sorted keys) for comparing the params of idempotent requests. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
