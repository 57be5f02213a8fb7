/**
 * The single doorway to mingo: one operator context (all of mingo's operators, plus `$type`
 * aliases for the BSON types mingo does not know), query/aggregate/update helpers, and the
 * translation of mingo's plain Error messages into MongoDB's error codes.
 */
import { Aggregator } from 'mingo/aggregator';
import { Context } from 'mingo/core';
import { Query } from 'mingo/query';
import { update as mingoUpdate, type Modifier } from 'mingo/updater';
import { resolve } from 'mingo/util';
import * as accumulatorOps from 'mingo/operators/accumulator';
import * as expressionOps from 'mingo/operators/expression';
import * as pipelineOps from 'mingo/operators/pipeline';
import * as projectionOps from 'mingo/operators/projection';
import * as queryOps from 'mingo/operators/query';
import * as windowOps from 'mingo/operators/window';
import type { CollationSpec, Options, QueryOperator } from 'mingo/types';
import { CommandError, err, locationErr } from './errors.js';
import type { Doc } from './types.js';

/** BSON type names/numbers mingo's `$type` does not recognise, with their test. */
const EXTRA_TYPES: Record<string, (v: unknown) => boolean> = {};
function bsontype(name: string): (v: unknown) => boolean {
  return (v) => v !== null && typeof v === 'object' && (v as { _bsontype?: unknown })._bsontype === name;
}
for (const [aliases, test] of [
  [['objectId', 7], bsontype('ObjectId')],
  [['binData', 5], bsontype('Binary')],
  [['timestamp', 17], bsontype('Timestamp')],
  [['minKey', -1], bsontype('MinKey')],
  [['maxKey', 127], bsontype('MaxKey')],
  [['javascript', 13], bsontype('Code')],
] as const) {
  for (const a of aliases) EXTRA_TYPES[String(a)] = test;
}

type TypeOp = (selector: string, value: unknown, options: Options) => (obj: Doc) => boolean;
const mingoType = queryOps.$type as unknown as TypeOp;
const typeOp: TypeOp = (selector, value, options) => {
  const wanted = (Array.isArray(value) ? value : [value]).map(String).filter((t) => t in EXTRA_TYPES);
  const base = mingoType(selector, value, options);
  if (!wanted.length) return base;
  return (obj: Doc) => {
    if (base(obj)) return true;
    const v = resolve(obj, selector, { unwrapArray: true });
    const vals = Array.isArray(v) ? v : [v];
    return vals.some((x) => wanted.some((t) => EXTRA_TYPES[t](x)));
  };
};

/** mingo names BSON classes by constructor ("objectid"); MongoDB's $type names them like this. */
const BSON_TYPE_NAMES: Record<string, string> = {
  objectid: 'objectId',
  binary: 'binData',
  uuid: 'binData',
  timestamp: 'timestamp',
  minkey: 'minKey',
  maxkey: 'maxKey',
  decimal128: 'decimal',
  bsonregexp: 'regex',
  code: 'javascript',
  long: 'long',
  int32: 'int',
  double: 'double',
};
type ExprOp = (obj: unknown, expr: unknown, options: Options) => unknown;
const mingoTypeExpr = expressionOps.$type as unknown as ExprOp;
const typeExpr: ExprOp = (obj, expr, options) => {
  const t = mingoTypeExpr(obj, expr, options);
  return typeof t === 'string' ? (BSON_TYPE_NAMES[t] ?? t) : t;
};

const CONTEXT = Context.init({
  accumulator: accumulatorOps,
  expression: { ...expressionOps, $type: typeExpr as unknown as typeof expressionOps.$type },
  pipeline: pipelineOps,
  projection: projectionOps,
  query: { ...queryOps, $type: typeOp as unknown as QueryOperator },
  window: windowOps,
});

export interface EvalOptions {
  collation?: CollationSpec;
  variables?: Doc;
  /** Resolves `$lookup`/`$unionWith`/`$graphLookup` collection names within the same database. */
  collectionResolver?: (name: string) => Doc[];
}

function options(o: EvalOptions = {}): Partial<Options> {
  return {
    context: CONTEXT,
    idKey: '_id',
    useStrictMode: true,
    // $where/$function/$accumulator would run user-supplied JS strings: refused, loudly.
    scriptEnabled: false,
    ...(o.collation ? { collation: o.collation } : {}),
    ...(o.variables ? { variables: o.variables } : {}),
    ...(o.collectionResolver ? { collectionResolver: o.collectionResolver } : {}),
  };
}

export interface Matcher {
  test(doc: Doc): boolean;
}

export function compileFilter(filter: Doc, o?: EvalOptions): Matcher {
  if (Object.keys(filter).length === 0) return { test: () => true };
  return translate(() => new Query<Doc>(filter, options(o)));
}

export interface FindSpec {
  filter: Doc;
  sort?: Record<string, 1 | -1>;
  skip?: number;
  limit?: number;
  projection?: Doc;
}

/** filter → sort → skip → limit → projection, MongoDB's order. */
export function runFind(source: Iterable<Doc>, spec: FindSpec, o?: EvalOptions): Doc[] {
  return translate(() => {
    const q = new Query<Doc>(spec.filter, options(o));
    const cursor = q.find<Doc>(Array.isArray(source) ? source : [...source], spec.projection ?? {});
    if (spec.sort && Object.keys(spec.sort).length) cursor.sort(spec.sort);
    if (spec.skip) cursor.skip(spec.skip);
    if (spec.limit) cursor.limit(spec.limit);
    return cursor.all();
  });
}

export function runPipeline(source: Doc[], pipeline: Doc[], o?: EvalOptions): Doc[] {
  return translate(() => new Aggregator(pipeline, options(o)).run<Doc>(source));
}

// mingo copies the whole operator context (hundreds of entries) for every update call. Updates
// made only of plain field operators never look an operator up, so they get an empty context:
// the same result for a fraction of the work (it was a fifth of the server's CPU under
// upsert-heavy load).
const FIELD_ONLY_UPDATE_OPS = new Set(['$set', '$setOnInsert', '$unset', '$inc', '$mul', '$min', '$max', '$rename', '$currentDate']);
const EMPTY_CONTEXT = Context.init({});

/** Applies update operators in place; returns whether anything changed. */
export function applyOperators(doc: Doc, modifier: Doc, arrayFilters: Doc[] | undefined, condition: Doc | undefined, o?: EvalOptions): boolean {
  const fieldOnly = !arrayFilters?.length && (!condition || Object.keys(condition).length === 0) && Object.keys(modifier).every((op) => FIELD_ONLY_UPDATE_OPS.has(op));
  return translate(
    () =>
      mingoUpdate(doc, modifier as Modifier<Doc>, arrayFilters, condition, {
        cloneMode: 'deep',
        queryOptions: fieldOnly ? { ...options(o), context: EMPTY_CONTEXT } : options(o),
      }).length > 0,
  );
}

/** Stages a pipeline-style update may use (MongoDB's list, all implemented by mingo). */
export const UPDATE_PIPELINE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

export function applyPipelineUpdate(doc: Doc, pipeline: Doc[], o?: EvalOptions): Doc {
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0];
    if (!UPDATE_PIPELINE_STAGES.has(name)) throw locationErr(40324, `${name} is not allowed to be used within an update`);
  }
  return runPipeline([doc], pipeline, o)[0] ?? {};
}

/** Runs mingo and rewrites its errors into MongoDB's codes so the driver sees mongod's shapes. */
export function translate<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw mingoError(e);
  }
}

export function mingoError(e: unknown): CommandError {
  if (e instanceof CommandError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  let m: RegExpMatchArray | null;
  if ((m = msg.match(/unknown top level operator: (\S+)/))) return err('BadValue', `unknown top level operator: ${m[1]}`);
  if ((m = msg.match(/unknown query operator (\S+)/))) return err('BadValue', `unknown operator: ${m[1]}`);
  if ((m = msg.match(/Unknown update operator: '(\S+)'/)))
    return err('FailedToParse', `Unknown modifier: ${m[1]}. Expected a valid update modifier or pipeline-style update specified as an array`);
  if ((m = msg.match(/unregistered pipeline operator (\$[^.\s]+)/))) return locationErr(40324, `Unrecognized pipeline stage name: '${m[1]}'`);
  if ((m = msg.match(/accumulator '(\S+)' is not registered/))) return err('InvalidPipelineOperator', `Unrecognized expression '${m[1]}'`);
  if ((m = msg.match(/immutable field '_id'/))) return err('ImmutableField', msg);
  if ((m = msg.match(/updating the path '(.+)' would create a conflict at '(.+)'/i))) {
    return new CommandError(40, 'ConflictingUpdateOperators', `Updating the path '${m[1]}' would create a conflict at '${m[2]}'`);
  }
  if (/scriptEnabled/.test(msg)) return err('CommandNotSupported', `server-side JavaScript is not supported by the embedded server (${msg})`);
  return err('BadValue', msg);
}
