import type { CollationSpec } from 'mingo/types';
import { isPlainObject, keyOf } from '../bsonutil.js';
import type { CommandContext } from '../context.js';
import { compileFilter, runFind, type EvalOptions } from '../engine.js';
import { CommandError, err, locationErr } from '../errors.js';
import type { Collection } from '../storage/collection.js';
import type { Doc } from '../types.js';

/** Fields any command may carry (session, concerns, routing, API version, driver metadata). */
export const GENERIC_FIELDS = new Set([
  '$db',
  'lsid',
  'txnNumber',
  'startTransaction',
  'autocommit',
  '$clusterTime',
  '$readPreference',
  'readConcern',
  'writeConcern',
  'comment',
  'maxTimeMS',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  '$audit',
  '$client',
  '$configServerState',
  'mayBypassWriteConcern',
  '$queryOptions',
  'clientOperationKey',
  'stmtId',
  'stmtIds',
  'txnRetryCounter',
]);

export function checkFields(name: string, cmd: Doc, allowed: readonly string[]): void {
  const keys = Object.keys(cmd);
  for (const k of keys.slice(1)) {
    if (!GENERIC_FIELDS.has(k) && !allowed.includes(k)) {
      throw locationErr(40415, `BSON field '${name}.${k}' is an unknown field.`);
    }
  }
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'double';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'object') return (v as { _bsontype?: string })._bsontype?.toLowerCase() ?? 'object';
  return typeof v;
}

/** The collection named by the command's first field. */
export function collectionName(cmdName: string, cmd: Doc): string {
  const v = cmd[Object.keys(cmd)[0]];
  if (typeof v !== 'string') throw err('InvalidNamespace', `collection name has invalid type ${typeName(v)}`);
  if (!v) throw err('InvalidNamespace', `Invalid namespace specified '${cmdName}'`);
  return v;
}

export function optDoc(cmdName: string, cmd: Doc, field: string): Doc | undefined {
  const v = cmd[field];
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw typeMismatch(cmdName, field, v, 'object');
  return v;
}

export function optNumber(cmdName: string, cmd: Doc, field: string): number | undefined {
  const v = cmd[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw typeMismatch(cmdName, field, v, 'int');
  return v;
}

export function optBool(cmdName: string, cmd: Doc, field: string): boolean | undefined {
  const v = cmd[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  throw typeMismatch(cmdName, field, v, 'bool');
}

export function typeMismatch(cmdName: string, field: string, v: unknown, expected: string): CommandError {
  return err('TypeMismatch', `BSON field '${cmdName}.${field}' is the wrong type '${typeName(v)}', expected type '${expected}'`);
}

/** Options for mingo for this command: same-db collection lookups, collation, `let` variables. */
export function evalOptions(ctx: CommandContext, cmd: Doc): EvalOptions {
  const o: EvalOptions = {
    collectionResolver: (name) => allDocs(ctx, readColl(ctx, name)),
  };
  if (isPlainObject(cmd.collation)) o.collation = cmd.collation as unknown as CollationSpec;
  if (isPlainObject(cmd.let)) o.variables = cmd.let;
  return o;
}

/** The collection as this command may see it (hides collections of another session's open transaction). */
export function readColl(ctx: CommandContext, name: string): Collection | undefined {
  return ctx.view ? ctx.view.coll(ctx.store, ctx.db, name) : ctx.store.coll(ctx.db, name);
}

export function allDocs(ctx: CommandContext, coll: Collection | undefined): Doc[] {
  if (!coll) return [];
  return [...(ctx.view ? ctx.view.patch(coll, coll.docs.values()) : coll.docs.values())];
}

/** A hint must name an existing index (by name or key pattern), like mongod's planner demands. */
export function checkHint(coll: Collection | undefined, hint: unknown): void {
  if (hint === undefined || hint === null || !coll) return;
  const specs = coll.allIndexSpecs();
  if (typeof hint === 'string') {
    if (specs.some((s) => s.name === hint)) return;
  } else if (isPlainObject(hint)) {
    if (Object.keys(hint).length === 0 || '$natural' in hint) return;
    if (specs.some((s) => keyOf(s.key) === keyOf(hint))) return;
  } else {
    throw err('FailedToParse', 'hint must be a string or an object');
  }
  throw err('BadValue', 'error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index');
}

/** Validates a sort spec; `$natural` is handled by the caller. */
export function sortSpec(v: unknown): Record<string, 1 | -1> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw err('TypeMismatch', `Expected field sort to be of type object`);
  const out: Record<string, 1 | -1> = {};
  for (const [k, dir] of Object.entries(v)) {
    if (isPlainObject(dir) && '$meta' in dir) throw err('BadValue', `$meta sort (${String(dir.$meta)}) is not supported by the embedded server`);
    if (typeof dir !== 'number' || (dir !== 1 && dir !== -1)) throw err('BadValue', '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    out[k] = dir;
  }
  return out;
}

export interface MatchOptions {
  sort?: Record<string, 1 | -1>;
  skip?: number;
  limit?: number;
  projection?: Doc;
  eval?: EvalOptions;
}

/**
 * Documents of `coll` matching `filter` (mingo decides; indexes only narrow the candidates),
 * then sort/skip/limit/projection. `$natural` sort means storage order (reversed for -1).
 */
export function findDocs(ctx: CommandContext, coll: Collection | undefined, filter: Doc, o: MatchOptions = {}): Doc[] {
  if (!coll) return [];
  let sort = o.sort;
  let reverse = false;
  if (sort && '$natural' in sort) {
    reverse = sort.$natural === -1;
    const { $natural: _n, ...rest } = sort;
    sort = Object.keys(rest).length ? rest : undefined;
  }
  const useIndexes = !o.eval?.collation;
  let source = ctx.store.candidates(coll, filter, useIndexes);
  if (ctx.view) source = ctx.view.patch(coll, source);
  if (reverse) source = [...source].reverse();
  if (!sort && !o.projection && !o.skip) {
    // Fast path: no reordering needed, stop at the limit.
    const m = compileFilter(filter, o.eval);
    const out: Doc[] = [];
    for (const d of source) {
      if (m.test(d)) {
        out.push(d);
        if (o.limit && out.length >= o.limit) break;
      }
    }
    return out;
  }
  return runFind(source, { filter, sort, skip: o.skip, limit: o.limit, projection: o.projection }, o.eval);
}

export function project(docs: Doc[], projection: Doc | undefined, e?: EvalOptions): Doc[] {
  if (!projection || Object.keys(projection).length === 0) return docs;
  return runFind(docs, { filter: {}, projection }, e);
}
