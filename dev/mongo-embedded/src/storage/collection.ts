import type { Binary } from 'bson';
import { MISSING, formatValue, keyOf, valuesAtPath } from '../bsonutil.js';
import { compileFilter, type Matcher } from '../engine.js';
import { err } from '../errors.js';
import type { Doc } from '../types.js';

export type IndexDirection = 1 | -1 | 'hashed';

export interface IndexSpec {
  v: number;
  key: Record<string, IndexDirection>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  expireAfterSeconds?: number;
  partialFilterExpression?: Doc;
  hidden?: boolean;
}

interface IndexEntry {
  key: string;
  values: unknown[];
}

/**
 * A secondary index: a hash map from the canonical key string to the ids of the documents that
 * carry it. Equality and $in lookups are O(1) per value; uniqueness is a lookup before a write.
 * Compound indexes also keep a map on their first field so a prefix equality can use them.
 */
export class Index {
  readonly fields: string[];
  readonly entries = new Map<string, Set<string>>();
  readonly prefix: Map<string, Set<string>> | null;
  readonly partial: Matcher | null;

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    this.prefix = this.fields.length > 1 ? new Map() : null;
    this.partial = spec.partialFilterExpression ? compileFilter(spec.partialFilterExpression) : null;
  }

  get name(): string {
    return this.spec.name;
  }

  get unique(): boolean {
    return this.spec.unique === true;
  }

  /** The keys a document contributes, or [] if a sparse/partial index leaves it out. */
  entriesOf(doc: Doc): IndexEntry[] {
    if (this.partial && !this.partial.test(doc)) return [];
    const perField = this.fields.map((f) => valuesAtPath(doc, f));
    if (this.spec.sparse && perField.every((vals) => vals.every((v) => v === MISSING))) return [];
    // Cartesian product across fields (mongod allows at most one array field per compound key).
    let tuples: unknown[][] = [[]];
    for (const vals of perField) {
      const next: unknown[][] = [];
      for (const t of tuples) for (const v of dedupe(vals)) next.push([...t, v]);
      tuples = next;
    }
    return tuples.map((values) => ({ key: values.map(keyOf).join('|'), values }));
  }

  add(idKey: string, doc: Doc): void {
    for (const e of this.entriesOf(doc)) {
      addTo(this.entries, e.key, idKey);
      if (this.prefix) addTo(this.prefix, keyOf(e.values[0]), idKey);
    }
  }

  remove(idKey: string, doc: Doc): void {
    for (const e of this.entriesOf(doc)) {
      removeFrom(this.entries, e.key, idKey);
      if (this.prefix) removeFrom(this.prefix, keyOf(e.values[0]), idKey);
    }
  }

  /** The first key of `doc` already held by another document, if this index is unique. */
  conflict(doc: Doc, selfIdKey: string): IndexEntry | null {
    if (!this.unique) return null;
    for (const e of this.entriesOf(doc)) {
      const holders = this.entries.get(e.key);
      if (holders && [...holders].some((id) => id !== selfIdKey)) return e;
    }
    return null;
  }

  clear(): void {
    this.entries.clear();
    this.prefix?.clear();
  }
}

function dedupe(vals: unknown[]): unknown[] {
  if (vals.length < 2) return vals;
  const seen = new Map<string, unknown>();
  for (const v of vals) if (!seen.has(keyOf(v))) seen.set(keyOf(v), v);
  return [...seen.values()];
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (set) set.add(id);
  else map.set(key, new Set([id]));
}

function removeFrom(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}

export const ID_INDEX_SPEC: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

export interface CollectionMeta {
  options: Doc;
  uuid: Binary;
}

/**
 * Documents keyed by the canonical string of their _id (that map is the _id index), plus the
 * secondary indexes. Stored documents are never mutated: an update replaces the object, so
 * cursors and undo logs can hold references safely.
 */
export class Collection {
  readonly docs = new Map<string, Doc>();
  readonly indexes = new Map<string, Index>();

  constructor(
    readonly db: string,
    readonly name: string,
    public meta: CollectionMeta,
  ) {}

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  get isTimeseries(): boolean {
    return this.meta.options.timeseries !== undefined;
  }

  allIndexSpecs(): IndexSpec[] {
    return [ID_INDEX_SPEC, ...[...this.indexes.values()].map((i) => i.spec)];
  }

  /** Throws DuplicateKey if `doc` would violate _id or a unique index (ignoring `selfIdKey`). */
  checkUnique(doc: Doc, idKey: string, isNew: boolean): void {
    if (isNew && this.docs.has(idKey)) throw this.dupError('_id_', { _id: 1 }, [doc._id]);
    for (const idx of this.indexes.values()) {
      const c = idx.conflict(doc, idKey);
      if (c) throw this.dupError(idx.name, idx.spec.key, c.values);
    }
  }

  dupError(indexName: string, keyPattern: Record<string, IndexDirection>, values: unknown[]): Error {
    const fields = Object.keys(keyPattern);
    const keyValue: Doc = {};
    fields.forEach((f, i) => (keyValue[f] = values[i] === MISSING ? null : values[i]));
    const shown = fields.map((f) => `${f}: ${formatValue(keyValue[f])}`).join(', ');
    return err('DuplicateKey', `E11000 duplicate key error collection: ${this.ns} index: ${indexName} dup key: { ${shown} }`, {
      keyPattern,
      keyValue,
    });
  }

  /** Adds or replaces without checks (callers validated, or replay of a valid history). */
  put(idKey: string, doc: Doc): Doc | undefined {
    const old = this.docs.get(idKey);
    if (old) for (const idx of this.indexes.values()) idx.remove(idKey, old);
    this.docs.set(idKey, doc);
    for (const idx of this.indexes.values()) idx.add(idKey, doc);
    return old;
  }

  delete(idKey: string): Doc | undefined {
    const old = this.docs.get(idKey);
    if (!old) return undefined;
    for (const idx of this.indexes.values()) idx.remove(idKey, old);
    this.docs.delete(idKey);
    return old;
  }

  /** Builds an index over the current documents; fails with DuplicateKey if a unique one can't hold. */
  buildIndex(spec: IndexSpec, check: boolean): Index {
    const idx = new Index(spec);
    for (const [idKey, doc] of this.docs) {
      if (check) {
        const c = idx.conflict(doc, idKey);
        if (c) throw this.dupError(spec.name, spec.key, c.values);
      }
      idx.add(idKey, doc);
    }
    this.indexes.set(spec.name, idx);
    return idx;
  }
}
