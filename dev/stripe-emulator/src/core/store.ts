/**
 * One store for every kind of Stripe object: kept in creation order, fetched by id with Stripe's
 * resource_missing error, listed newest first with Stripe's cursor pagination
 * (`limit`, `starting_after`, `ending_before`, `has_more`) and the `created` range filter.
 */
import { invalidRequest, noSuch } from '../errors.js';
import type { ListJson } from '../model.js';
import type { RangeFilter } from '../params.js';
import type { ListParams } from '../schemas.js';

/** How an object goes on the wire (a copy, with embedded prices refreshed). */
export type Render = <T extends object>(obj: T) => T;

function inRange(value: number, filter: number | RangeFilter | null | undefined): boolean {
  if (filter === undefined || filter === null) return true;
  if (typeof filter === 'number') return value === filter;
  return (
    (filter.gt === undefined || value > filter.gt) &&
    (filter.gte === undefined || value >= filter.gte) &&
    (filter.lt === undefined || value < filter.lt) &&
    (filter.lte === undefined || value <= filter.lte)
  );
}

/** One page of `newestFirst`, as Stripe pages lists; `created` enables the `created` filter. */
export function paginate<T extends { id: string }>(newestFirst: T[], p: ListParams, url: string, render: Render, created?: (x: T) => number): ListJson<T> {
  const limit = p.limit ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('Invalid limit: must be between 1 and 100', 'limit');
  let all = created && p.created !== undefined ? newestFirst.filter((x) => inRange(created(x), p.created)) : newestFirst;
  let hasMore: boolean;
  let data: T[];
  if (p.ending_before) {
    const i = all.findIndex((x) => x.id === p.ending_before);
    if (i < 0) throw invalidRequest(`No such object: '${p.ending_before}'`, 'ending_before', 'resource_missing');
    data = all.slice(Math.max(0, i - limit), i);
    hasMore = i - limit > 0;
  } else {
    if (p.starting_after) {
      const i = all.findIndex((x) => x.id === p.starting_after);
      if (i < 0) throw invalidRequest(`No such object: '${p.starting_after}'`, 'starting_after', 'resource_missing');
      all = all.slice(i + 1);
    }
    data = all.slice(0, limit);
    hasMore = all.length > limit;
  }
  return { object: 'list', data: data.map((x) => render(x)), has_more: hasMore, url };
}

export interface ListOptions<T> {
  /** Which objects the request's filters keep. */
  where?: (x: T) => boolean;
  /** The timestamp the `created` filter applies to; most objects' own `created`. */
  created?: (x: T) => number;
}

export class ObjectStore<T extends { id: string; created?: number }> {
  private readonly byId = new Map<string, T>();

  /** `kind` names the object in "No such <kind>: 'id'" errors, as Stripe words them. */
  constructor(
    private readonly kind: string,
    private readonly render: Render,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The object, or undefined; for ids the emulator itself stored. */
  find(id: string): T | undefined {
    return this.byId.get(id);
  }

  /** The object, or Stripe's resource_missing error: 404 for the URL's id, 400 naming a body `param`. */
  get(id: string, param?: string): T {
    const x = this.byId.get(id);
    if (!x) throw noSuch(this.kind, id, param);
    return x;
  }

  add(obj: T): T {
    this.byId.set(obj.id, obj);
    return obj;
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  /** Oldest first (creation order). */
  all(): T[] {
    return [...this.byId.values()];
  }

  first(predicate: (x: T) => boolean): T | undefined {
    for (const x of this.byId.values()) if (predicate(x)) return x;
    return undefined;
  }

  newestFirst(where?: (x: T) => boolean): T[] {
    const all = this.all().reverse();
    return where ? all.filter(where) : all;
  }

  /** A page of the objects `where` keeps, newest first, filtered on `created` by default. */
  list(p: ListParams, url: string, opts: ListOptions<T> = {}): ListJson<T> {
    const created = opts.created ?? ((x: T) => x.created ?? 0);
    return paginate(this.newestFirst(opts.where), p, url, this.render, created);
  }

  /** Forgets the oldest objects beyond `max` (a bounded history). */
  keepNewest(max: number): void {
    while (this.byId.size > max) this.byId.delete(this.byId.keys().next().value as string);
  }

  restore(saved: T[]): void {
    for (const x of saved) this.byId.set(x.id, x);
  }
}
