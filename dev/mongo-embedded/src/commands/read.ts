import { isPlainObject, keyOf, valuesAtPath, MISSING } from '../bsonutil.js';
import type { CommandDef } from '../context.js';
import { runPipeline } from '../engine.js';
import { err } from '../errors.js';
import type { Doc } from '../types.js';
import { allDocs, checkHint, collectionName, readColl, evalOptions, findDocs, optBool, optDoc, optNumber, sortSpec } from './common.js';

const find: CommandDef = {
  gated: true,
  readOnly: true,
  inTransaction: true,
  fields: [
    'filter', 'sort', 'projection', 'hint', 'skip', 'limit', 'batchSize', 'singleBatch', 'collation', 'allowDiskUse',
    'let', 'noCursorTimeout', 'allowPartialResults', 'returnKey', 'showRecordId', 'tailable', 'awaitData', 'oplogReplay',
    'min', 'max', 'readOnce', 'ntoreturn',
  ],
  handler(cmd, ctx) {
    const name = collectionName('find', cmd);
    for (const f of ['returnKey', 'showRecordId', 'tailable', 'awaitData']) {
      if (cmd[f] === true) throw err('CommandNotSupported', `find option '${f}' is not supported by the embedded server`);
    }
    if (cmd.min !== undefined || cmd.max !== undefined) throw err('CommandNotSupported', 'find min/max are not supported by the embedded server');
    const filter = optDoc('find', cmd, 'filter') ?? {};
    const skip = optNumber('find', cmd, 'skip') ?? 0;
    let limit = optNumber('find', cmd, 'limit') ?? 0;
    let batchSize = optNumber('find', cmd, 'batchSize');
    let singleBatch = optBool('find', cmd, 'singleBatch') ?? false;
    if (skip < 0) throw err('BadValue', 'skip value must be non-negative');
    if (batchSize !== undefined && batchSize < 0) throw err('BadValue', 'batchSize value must be non-negative');
    if (limit < 0) {
      // Legacy negative limit: one batch of |limit|.
      limit = -limit;
      singleBatch = true;
    }
    if (singleBatch && limit) batchSize = Math.min(batchSize ?? limit, limit);
    const coll = readColl(ctx, name);
    checkHint(coll, cmd.hint);
    const docs = findDocs(ctx, coll, filter, {
      sort: sortSpec(cmd.sort),
      skip,
      limit: limit || undefined,
      projection: optDoc('find', cmd, 'projection'),
      eval: evalOptions(ctx, cmd),
    });
    const ns = `${ctx.db}.${name}`;
    return { cursor: ctx.cursors.open(ns, docs, batchSize === 0 ? 0 : batchSize, singleBatch, ctx.session), ok: 1 };
  },
};

const getMore: CommandDef = {
  // A cursor holds its own snapshot of results: nothing to wait for.
  gated: false,
  inTransaction: true,
  fields: ['collection', 'batchSize', 'term', 'lastKnownCommittedOpTime'],
  handler(cmd, ctx) {
    const id = cmd.getMore;
    if (typeof id !== 'number' && typeof id !== 'bigint') throw err('TypeMismatch', "Field 'getMore' must be of type long");
    if (typeof cmd.collection !== 'string') throw err('TypeMismatch', "Field 'collection' must be of type string");
    const ns = `${ctx.db}.${cmd.collection}`;
    return { cursor: ctx.cursors.getMore(Number(id), ns, optNumber('getMore', cmd, 'batchSize')), ok: 1 };
  },
};

const killCursors: CommandDef = {
  gated: false,
  inTransaction: true,
  fields: ['cursors'],
  handler(cmd, ctx) {
    collectionName('killCursors', cmd);
    if (!Array.isArray(cmd.cursors)) throw err('FailedToParse', "BSON field 'killCursors.cursors' is missing but a required field");
    const killed: number[] = [];
    const notFound: number[] = [];
    for (const raw of cmd.cursors) {
      const id = Number(raw);
      (ctx.cursors.kill(id) ? killed : notFound).push(id);
    }
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  },
};

const count: CommandDef = {
  gated: true,
  readOnly: true,
  // Like mongod: count is not allowed in a transaction (countDocuments uses aggregate).
  inTransaction: false,
  fields: ['query', 'limit', 'skip', 'hint', 'collation', 'fields'],
  handler(cmd, ctx) {
    const name = collectionName('count', cmd);
    const query = optDoc('count', cmd, 'query') ?? {};
    const skip = Math.max(0, optNumber('count', cmd, 'skip') ?? 0);
    const limit = Math.abs(optNumber('count', cmd, 'limit') ?? 0);
    const coll = readColl(ctx, name);
    checkHint(coll, cmd.hint);
    let n: number;
    if (coll && Object.keys(query).length === 0 && !ctx.view?.touches(coll)) n = coll.docs.size;
    else n = findDocs(ctx, coll, query, { eval: evalOptions(ctx, cmd) }).length;
    n = Math.max(0, n - skip);
    if (limit) n = Math.min(n, limit);
    return { n, ok: 1 };
  },
};

const distinct: CommandDef = {
  gated: true,
  readOnly: true,
  inTransaction: true,
  fields: ['key', 'query', 'collation', 'hint'],
  handler(cmd, ctx) {
    const name = collectionName('distinct', cmd);
    if (typeof cmd.key !== 'string') throw err('TypeMismatch', "BSON field 'distinct.key' is missing but a required field");
    const query = optDoc('distinct', cmd, 'query') ?? {};
    const coll = readColl(ctx, name);
    checkHint(coll, cmd.hint);
    const docs = findDocs(ctx, coll, query, { eval: evalOptions(ctx, cmd) });
    const seen = new Map<string, unknown>();
    for (const d of docs) {
      for (const v of valuesAtPath(d, cmd.key)) {
        if (v === MISSING) continue;
        // An empty array contributes nothing; elements of arrays are distinct values of their own.
        if (Array.isArray(v) && v.length === 0) continue;
        const k = keyOf(v);
        if (!seen.has(k)) seen.set(k, v);
      }
    }
    return { values: [...seen.values()], ok: 1 };
  },
};

/** Stages that would write or need server internals: refused rather than half-done. */
const REFUSED_STAGES: Record<string, string> = {
  $out: '$out is not supported by the embedded server',
  $merge: '$merge is not supported by the embedded server',
};

/** Validates stage shapes and refuses $out/$merge, also inside $facet/$lookup/$unionWith pipelines. */
function checkStages(pipeline: unknown[]): void {
  for (const stage of pipeline) {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
      throw err('TypeMismatch', 'A pipeline stage specification object must contain exactly one field.');
    }
    const [name, spec] = Object.entries(stage)[0];
    if (REFUSED_STAGES[name]) throw err('CommandNotSupported', REFUSED_STAGES[name]);
    if (name === '$facet' && isPlainObject(spec)) for (const sub of Object.values(spec)) if (Array.isArray(sub)) checkStages(sub);
    if ((name === '$lookup' || name === '$unionWith') && isPlainObject(spec) && Array.isArray(spec.pipeline)) checkStages(spec.pipeline);
  }
}

const aggregate: CommandDef = {
  gated: true,
  readOnly: true,
  inTransaction: true,
  fields: ['pipeline', 'cursor', 'explain', 'allowDiskUse', 'bypassDocumentValidation', 'collation', 'hint', 'let', 'fromMongos', 'needsMerge'],
  handler(cmd, ctx) {
    const target = cmd.aggregate;
    if (!Array.isArray(cmd.pipeline)) throw err('TypeMismatch', "BSON field 'aggregate.pipeline' is missing but a required field");
    if (cmd.explain === true) throw err('CommandNotSupported', 'explain is not supported by the embedded server');
    if (!isPlainObject(cmd.cursor)) throw err('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
    const pipeline = cmd.pipeline as Doc[];
    checkStages(pipeline);
    const e = evalOptions(ctx, cmd);
    let source: Doc[];
    let rest = pipeline;
    let ns: string;
    if (target === 1) {
      // Collection-less aggregate: only $documents can feed it.
      if (!pipeline[0] || !('$documents' in pipeline[0])) {
        throw err('InvalidNamespace', "{aggregate: 1} is not valid for '$match'; a collection is required.");
      }
      source = [];
      ns = `${ctx.db}.$cmd.aggregate`;
    } else {
      const name = collectionName('aggregate', cmd);
      const coll = readColl(ctx, name);
      checkHint(coll, cmd.hint);
      ns = `${ctx.db}.${name}`;
      const first = pipeline[0];
      if (first && isPlainObject(first.$match)) {
        // A leading $match can use indexes.
        source = findDocs(ctx, coll, first.$match, { eval: e });
        rest = pipeline.slice(1);
      } else {
        source = allDocs(ctx, coll);
      }
    }
    const out = rest.length ? runPipeline(source, rest, e) : source;
    const batchSize = optNumber('aggregate', cmd.cursor, 'batchSize');
    return { cursor: ctx.cursors.open(ns, out, batchSize, false, ctx.session), ok: 1 };
  },
};

export const readCommands: Record<string, CommandDef> = { find, getMore, killCursors, count, distinct, aggregate };
