/** `expand[]`: ids in a response replaced by the objects they name, up to four levels deep. */
import { invalidRequest, type StripeApiError } from '../errors.js';
import type { ListJson } from '../model.js';
import type { Database } from './db.js';

/** Lists Stripe includes only on request (`expand[]=line_items`), for the object `node`. */
export type Includable = (node: Record<string, unknown>, key: string) => ListJson<object> | undefined;

export class Expander {
  constructor(
    private readonly db: Database,
    private readonly includable: Includable,
  ) {}

  expand<T extends object>(value: T, paths: readonly string[] | undefined): T {
    if (!paths || paths.length === 0) return value;
    const out = structuredClone(value) as Record<string, unknown>;
    for (const path of paths) this.expandPath(out, path.split('.'), path, 0);
    return out as T;
  }

  private lookup(id: string, key: string): object | undefined {
    const obj = this.db.byId(id, key);
    return obj ? this.db.render(obj) : undefined;
  }

  private expandPath(node: Record<string, unknown>, segs: string[], full: string, depth: number): void {
    if (segs.length === 0) return;
    if (depth > 4) throw invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${full}`, 'expand');
    const [key, ...rest] = segs;
    if ((node.object === 'list' || node.object === 'search_result') && key === 'data') {
      for (const item of node.data as Record<string, unknown>[]) this.expandPath(item, rest, full, depth);
      return;
    }
    const cannot = (): StripeApiError => invalidRequest(`This property cannot be expanded (${full}).`, 'expand');
    let v = node[key];
    const included = this.includable(node, key);
    if (included) {
      node[key] = included;
      v = included;
    } else if (typeof v === 'string') {
      const obj = this.lookup(v, key);
      if (!obj) throw cannot();
      node[key] = obj;
      v = obj;
    } else if (Array.isArray(v)) {
      const arr = v.map((x: unknown) => (typeof x === 'string' ? (this.lookup(x, key) ?? x) : x));
      node[key] = arr;
      if (rest.length > 0) for (const x of arr) if (x && typeof x === 'object') this.expandPath(x as Record<string, unknown>, rest, full, depth + 1);
      return;
    } else if (v === null) {
      return;
    } else if (typeof v !== 'object' || v === undefined) {
      throw cannot();
    }
    if (rest.length > 0) this.expandPath(v as Record<string, unknown>, rest, full, depth + 1);
  }
}
