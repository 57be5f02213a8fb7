import { UUID, type Binary } from 'bson';
import { isPlainObject, keyOf } from '../bsonutil.js';
import { err } from '../errors.js';
import type { Doc } from '../types.js';
import { Collection, Index, type IndexSpec } from './collection.js';

/** One logical change, as journaled. Every op sets state (no deltas), so replay is idempotent. */
export type JournalOp =
  | { op: 'put'; db: string; coll: string; doc: Doc }
  | { op: 'del'; db: string; coll: string; id: unknown }
  | { op: 'createColl'; db: string; coll: string; options: Doc; uuid: Binary }
  | { op: 'dropColl'; db: string; coll: string }
  | { op: 'createIndex'; db: string; coll: string; spec: IndexSpec }
  | { op: 'dropIndex'; db: string; coll: string; name: string }
  | { op: 'dropDb'; db: string };

type Undo =
  | { kind: 'doc'; coll: Collection; idKey: string; before: Doc | undefined }
  | { kind: 'createColl'; coll: Collection };

/**
 * The changes made by one command (or one whole transaction): the ops to journal, and how to
 * take them back if the transaction aborts.
 */
export class WriteBatch {
  readonly ops: JournalOp[] = [];
  readonly undo: Undo[] = [];
  constructor(readonly inTransaction = false) {}
}

/**
 * The last committed state, for reads of other sessions while a transaction is open: the open
 * transaction writes in place, so its documents are swapped back for their before-images and
 * collections it created are hidden. No dirty reads, and readers need not wait for the lock.
 */
export class ReadView {
  private readonly hidden = new Set<Collection>();
  private readonly before = new Map<Collection, Map<string, Doc | undefined>>();

  constructor(txn: WriteBatch) {
    for (const u of txn.undo) {
      if (u.kind === 'createColl') {
        this.hidden.add(u.coll);
        continue;
      }
      let m = this.before.get(u.coll);
      if (!m) this.before.set(u.coll, (m = new Map()));
      // The first undo entry of a document holds its state before the transaction.
      if (!m.has(u.idKey)) m.set(u.idKey, u.before);
    }
  }

  coll(store: Store, db: string, name: string): Collection | undefined {
    const c = store.coll(db, name);
    return c && !this.hidden.has(c) ? c : undefined;
  }

  hides(coll: Collection): boolean {
    return this.hidden.has(coll);
  }

  touches(coll: Collection): boolean {
    return this.before.has(coll);
  }

  /** Candidates from the live state, corrected to the committed state (mingo filters the extras). */
  patch(coll: Collection, live: Iterable<Doc>): Iterable<Doc> {
    const m = this.before.get(coll);
    if (!m) return live;
    const out: Doc[] = [];
    for (const d of live) if (!m.has(keyOf(d._id))) out.push(d);
    for (const d of m.values()) if (d) out.push(d);
    return out;
  }
}

export class Store {
  readonly dbs = new Map<string, Map<string, Collection>>();

  coll(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  /** The collection, created implicitly (like mongod on first insert/upsert/createIndexes). */
  ensure(db: string, name: string, batch: WriteBatch, options: Doc = {}): Collection {
    const existing = this.coll(db, name);
    if (existing) return existing;
    validateNamespace(db, name);
    const coll = this.attach(db, name, options, new UUID());
    batch.ops.push({ op: 'createColl', db, coll: name, options, uuid: coll.meta.uuid });
    batch.undo.push({ kind: 'createColl', coll });
    return coll;
  }

  private attach(db: string, name: string, options: Doc, uuid: Binary): Collection {
    let colls = this.dbs.get(db);
    if (!colls) this.dbs.set(db, (colls = new Map()));
    const coll = new Collection(db, name, { options, uuid });
    colls.set(name, coll);
    return coll;
  }

  insert(coll: Collection, doc: Doc, batch: WriteBatch): void {
    const idKey = keyOf(doc._id);
    coll.checkUnique(doc, idKey, true);
    coll.put(idKey, doc);
    batch.ops.push({ op: 'put', db: coll.db, coll: coll.name, doc });
    batch.undo.push({ kind: 'doc', coll, idKey, before: undefined });
  }

  replace(coll: Collection, idKey: string, doc: Doc, batch: WriteBatch): void {
    coll.checkUnique(doc, idKey, false);
    const before = coll.put(idKey, doc);
    batch.ops.push({ op: 'put', db: coll.db, coll: coll.name, doc });
    batch.undo.push({ kind: 'doc', coll, idKey, before });
  }

  remove(coll: Collection, idKey: string, batch: WriteBatch): void {
    const before = coll.delete(idKey);
    if (!before) return;
    batch.ops.push({ op: 'del', db: coll.db, coll: coll.name, id: before._id });
    batch.undo.push({ kind: 'doc', coll, idKey, before });
  }

  createIndex(coll: Collection, spec: IndexSpec, batch: WriteBatch): void {
    coll.buildIndex(spec, true);
    batch.ops.push({ op: 'createIndex', db: coll.db, coll: coll.name, spec });
  }

  dropIndex(coll: Collection, name: string, batch: WriteBatch): void {
    coll.indexes.delete(name);
    batch.ops.push({ op: 'dropIndex', db: coll.db, coll: coll.name, name });
  }

  dropCollection(db: string, name: string, batch: WriteBatch): boolean {
    const colls = this.dbs.get(db);
    if (!colls?.delete(name)) return false;
    if (colls.size === 0) this.dbs.delete(db);
    batch.ops.push({ op: 'dropColl', db, coll: name });
    return true;
  }

  dropDatabase(db: string, batch: WriteBatch): void {
    if (!this.dbs.delete(db)) return;
    batch.ops.push({ op: 'dropDb', db });
  }

  /** Takes back everything an aborted transaction did, newest first. */
  rollback(batch: WriteBatch): void {
    for (let i = batch.undo.length - 1; i >= 0; i--) {
      const u = batch.undo[i];
      if (u.kind === 'createColl') {
        const colls = this.dbs.get(u.coll.db);
        if (colls?.get(u.coll.name) === u.coll) {
          colls.delete(u.coll.name);
          if (colls.size === 0) this.dbs.delete(u.coll.db);
        }
      } else if (u.before) {
        u.coll.put(u.idKey, u.before);
      } else {
        u.coll.delete(u.idKey);
      }
    }
  }

  /** Replays one journaled op (no uniqueness checks: the history was valid when written). */
  apply(op: JournalOp): void {
    switch (op.op) {
      case 'put': {
        const coll = this.coll(op.db, op.coll) ?? this.attach(op.db, op.coll, {}, new UUID());
        coll.put(keyOf(op.doc._id), op.doc);
        return;
      }
      case 'del':
        this.coll(op.db, op.coll)?.delete(keyOf(op.id));
        return;
      case 'createColl':
        if (!this.coll(op.db, op.coll)) this.attach(op.db, op.coll, op.options, op.uuid);
        return;
      case 'dropColl': {
        const colls = this.dbs.get(op.db);
        colls?.delete(op.coll);
        if (colls && colls.size === 0) this.dbs.delete(op.db);
        return;
      }
      case 'createIndex': {
        const coll = this.coll(op.db, op.coll) ?? this.attach(op.db, op.coll, {}, new UUID());
        if (!coll.indexes.has(op.spec.name)) coll.buildIndex(op.spec, false);
        return;
      }
      case 'dropIndex':
        this.coll(op.db, op.coll)?.indexes.delete(op.name);
        return;
      case 'dropDb':
        this.dbs.delete(op.db);
        return;
    }
  }

  /**
   * Documents that may match `filter`: straight from an index when the filter pins an indexed
   * field by equality or $in (mingo still tests every candidate), else every document.
   */
  candidates(coll: Collection, filter: Doc, useIndexes = true): Iterable<Doc> {
    if (!useIndexes) return coll.docs.values();
    const eq = equalities(filter);
    if (eq.size === 0) return coll.docs.values();
    const ids = eq.get('_id');
    if (ids) {
      const out: Doc[] = [];
      const seen = new Set<string>();
      for (const v of ids) {
        const k = keyOf(v);
        const d = coll.docs.get(k);
        if (d && !seen.has(k)) {
          seen.add(k);
          out.push(d);
        }
      }
      return out;
    }
    let best: Set<string> | null = null;
    for (const idx of coll.indexes.values()) {
      const hit = lookup(idx, eq);
      if (hit && (!best || hit.size < best.size)) best = hit;
    }
    if (!best) return coll.docs.values();
    const out: Doc[] = [];
    for (const id of best) {
      const d = coll.docs.get(id);
      if (d) out.push(d);
    }
    return out;
  }
}

function lookup(idx: Index, eq: Map<string, unknown[]>): Set<string> | null {
  if (idx.partial || idx.spec.hidden || idx.fields.some((f) => /(^|\.)\d+(\.|$)/.test(f))) return null;
  const first = eq.get(idx.fields[0]);
  if (!first) return null;
  // A sparse index has no entry for documents lacking the field, which {f: null} must find.
  if (idx.spec.sparse && first.some((v) => v === null || v === undefined)) return null;
  const perField = idx.fields.map((f) => eq.get(f));
  let keys: string[];
  let map: Map<string, Set<string>>;
  const combos = perField.reduce((n, vals) => n * (vals?.length ?? Infinity), 1);
  if (perField.every((v) => v !== undefined) && combos <= 256) {
    keys = [''];
    for (const vals of perField as unknown[][]) keys = keys.flatMap((k) => vals.map((v) => (k ? `${k}|${keyOf(v)}` : keyOf(v))));
    map = idx.entries;
  } else {
    keys = first.map(keyOf);
    map = idx.prefix ?? idx.entries;
  }
  const out = new Set<string>();
  for (const k of keys) for (const id of map.get(k) ?? []) out.add(id);
  return out;
}

/** field → the values an equality/$in on it allows, from the top level and nested $and. */
export function equalities(filter: Doc): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const add = (f: string, vals: unknown[]) => {
    const prev = out.get(f);
    if (!prev || vals.length < prev.length) out.set(f, vals);
  };
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) for (const [f, vals] of equalities(sub)) add(f, vals);
    } else if (!k.startsWith('$')) {
      const vals = equalityValues(v);
      if (vals) add(k, vals);
    }
  }
  return out;
}

const indexable = (v: unknown) => !(v instanceof RegExp) && !Array.isArray(v) && !(isPlainObject(v) && Object.keys(v).some((k) => k.startsWith('$')));

function equalityValues(v: unknown): unknown[] | null {
  if (isPlainObject(v) && Object.keys(v).some((k) => k.startsWith('$'))) {
    if ('$eq' in v) return indexable(v.$eq) ? [v.$eq] : null;
    if (Array.isArray(v.$in) && v.$in.every(indexable)) return v.$in;
    return null;
  }
  return indexable(v) ? [v] : null;
}

export function validateNamespace(db: string, coll: string): void {
  if (!db || /[/\\. "$*<>:|?\0]/.test(db) || db.length > 64) throw err('InvalidNamespace', `Invalid database name: '${db}'`);
  if (!coll || coll.includes('\0') || coll.startsWith('.') || coll.includes('$') || coll.startsWith('system.')) {
    throw err('InvalidNamespace', `Invalid collection name: ${coll}`);
  }
}
