import { MISSING, cloneDoc, formatValue, getPath, idFirst, isPlainObject, keyOf, newObjectId } from '../bsonutil.js';
import type { CommandContext, CommandDef } from '../context.js';
import { applyOperators, applyPipelineUpdate, compileFilter, type EvalOptions, type Matcher } from '../engine.js';
import { CommandError, err, locationErr } from '../errors.js';
import type { Collection } from '../storage/collection.js';
import type { Doc } from '../types.js';
import { checkHint, collectionName, evalOptions, findDocs, optBool, optDoc, project, sortSpec, typeName } from './common.js';

function prepareInsert(doc: unknown): Doc {
  if (!isPlainObject(doc)) throw err('TypeMismatch', 'documents to insert must be objects');
  checkId(doc._id);
  const withId = '_id' in doc && doc._id !== undefined ? doc : { _id: newObjectId(), ...doc };
  return idFirst(withId);
}

function checkId(id: unknown): void {
  if (Array.isArray(id) || id instanceof RegExp) {
    throw new CommandError(53, 'InvalidIdField', `The '_id' value cannot be of type ${Array.isArray(id) ? 'array' : 'regex'}`);
  }
}

/** `validator` from create(): documents must match it (validationLevel strict, action error). */
const validators = new WeakMap<Collection, Matcher>();
function validate(coll: Collection, doc: Doc, before: Doc | undefined, cmd: Doc): void {
  const spec = coll.meta.options.validator;
  if (!isPlainObject(spec) || cmd.bypassDocumentValidation === true) return;
  let m = validators.get(coll);
  if (!m) validators.set(coll, (m = compileFilter(spec)));
  if (coll.meta.options.validationLevel === 'off') return;
  // "moderate": updates to documents that were already invalid are not checked.
  if (coll.meta.options.validationLevel === 'moderate' && before && !m.test(before)) return;
  if (!m.test(doc)) {
    if (coll.meta.options.validationAction === 'warn') return;
    throw err('DocumentValidationFailure', 'Document failed validation', { errInfo: { failingDocumentId: doc._id, details: {} } });
  }
}

/** Time-series measurements must carry their timeField as a date. */
function checkTimeseries(coll: Collection, doc: Doc): void {
  const ts = coll.meta.options.timeseries;
  if (!isPlainObject(ts)) return;
  const field = String(ts.timeField);
  if (!(doc[field] instanceof Date)) {
    throw err('BadValue', `'${field}' must be present and contain a valid BSON UTC datetime value`);
  }
}

/** mongod refuses every write to a time-series collection inside a multi-document transaction. */
function refuseTimeseriesInTxn(coll: Collection | null | undefined, ctx: CommandContext, what: string): void {
  const txn = ctx.session?.txn;
  if (coll?.isTimeseries && txn?.state === 'active' && ctx.batch === txn.batch) {
    throw err('OperationNotSupportedInTransaction', `Cannot ${what} a time-series collection in a multi-document transaction.`);
  }
}

/** Compiles a create() validator once, so a bad one is refused at create time. */
export function checkValidator(options: Doc): void {
  if (isPlainObject(options.validator)) compileFilter(options.validator);
}

const insert: CommandDef = {
  gated: true,
  retryableWrite: true,
  inTransaction: true,
  fields: ['documents', 'ordered', 'bypassDocumentValidation'],
  handler(cmd, ctx) {
    const name = collectionName('insert', cmd);
    const docs = cmd.documents;
    if (!Array.isArray(docs)) throw err('FailedToParse', "BSON field 'insert.documents' is missing but a required field");
    const ordered = optBool('insert', cmd, 'ordered') ?? true;
    const coll = ctx.store.ensure(ctx.db, name, ctx.batch);
    refuseTimeseriesInTxn(coll, ctx, 'insert into');
    let n = 0;
    const writeErrors: Doc[] = [];
    docs.forEach((raw, i) => {
      if (ordered && writeErrors.length) return;
      try {
        const doc = prepareInsert(raw);
        checkTimeseries(coll, doc);
        validate(coll, doc, undefined, cmd);
        ctx.store.insert(coll, doc, ctx.batch);
        n++;
      } catch (e) {
        writeErrors.push(asCommandError(e).toWriteError(i));
      }
    });
    return writeErrors.length ? { n, writeErrors, ok: 1 } : { n, ok: 1 };
  },
};

export function asCommandError(e: unknown): CommandError {
  if (e instanceof CommandError) return e;
  return err('InternalError', e instanceof Error ? e.message : String(e));
}

type UpdateKind = 'operators' | 'replacement' | 'pipeline';

function updateKind(u: unknown): UpdateKind {
  if (Array.isArray(u)) return 'pipeline';
  if (!isPlainObject(u)) throw err('FailedToParse', 'Update argument must be either an object or an array');
  const keys = Object.keys(u);
  if (keys.length === 0 || !keys[0].startsWith('$')) {
    const bad = keys.find((k) => k.startsWith('$'));
    if (bad) {
      throw new CommandError(
        52,
        'DollarPrefixedFieldName',
        `The dollar ($) prefixed field '${bad}' in '${bad}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
      );
    }
    return 'replacement';
  }
  const bad = keys.find((k) => !k.startsWith('$'));
  if (bad) throw err('FailedToParse', `Unknown modifier: ${bad}. Expected a valid update modifier or pipeline-style update specified as an array`);
  return 'operators';
}

const POSITIONAL = /\.\$(\.|$)/;

interface UpdateSpec {
  u: Doc | Doc[];
  kind: UpdateKind;
  arrayFilters?: Doc[];
  query: Doc;
  eval: EvalOptions;
}

/** New version of `doc` (never mutates it) and whether anything changed. */
function applyUpdate(doc: Doc, spec: UpdateSpec, inserting: boolean): { doc: Doc; changed: boolean } {
  let next: Doc;
  let changed: boolean;
  if (spec.kind === 'replacement') {
    next = { _id: doc._id, ...(spec.u as Doc) };
    if ('_id' in (spec.u as Doc) && keyOf((spec.u as Doc)._id) !== keyOf(doc._id) && !inserting) {
      throw err('ImmutableField', `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${String((spec.u as Doc)._id)}`);
    }
    next = idFirst(cloneDoc(next));
    changed = keyOf(next) !== keyOf(doc);
  } else if (spec.kind === 'pipeline') {
    next = idFirst(applyPipelineUpdate(doc, spec.u as Doc[], spec.eval));
    changed = keyOf(next) !== keyOf(doc);
  } else {
    const { $setOnInsert, ...ops } = spec.u as Doc;
    if ($setOnInsert !== undefined && !isPlainObject($setOnInsert)) {
      throw err('FailedToParse', `Modifiers operate on fields but we found type ${typeName($setOnInsert)} instead.`);
    }
    // mingo has no $setOnInsert: on the insert path of an upsert it is a $set, otherwise a no-op.
    const modifier: Doc = { ...ops };
    if (inserting && $setOnInsert && Object.keys($setOnInsert).length) {
      modifier.$set = { ...(isPlainObject(ops.$set) ? ops.$set : {}), ...$setOnInsert };
    }
    // Setting _id to its current value is allowed (a no-op), as on mongod.
    if (isPlainObject(modifier.$set) && '_id' in modifier.$set && keyOf(modifier.$set._id) === keyOf(doc._id)) {
      const { _id: _same, ...restSet } = modifier.$set;
      modifier.$set = restSet;
    }
    checkModifier(doc, modifier);
    next = cloneDoc(doc);
    const paths = Object.values(modifier).flatMap((v) => (isPlainObject(v) ? Object.keys(v) : []));
    const condition = !inserting && paths.some((p) => POSITIONAL.test(p)) ? spec.query : undefined;
    changed = Object.keys(modifier).length > 0 && applyOperators(next, modifier, spec.arrayFilters, condition, spec.eval);
  }
  if (!inserting && keyOf(next._id) !== keyOf(doc._id)) {
    throw err('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  checkId(next._id);
  return { doc: next, changed };
}

const NUMERIC_OPS = new Set(['$inc', '$mul']);
const ARRAY_OPS = new Set(['$push', '$addToSet', '$pull', '$pullAll', '$pop']);

function isNumeric(v: unknown): boolean {
  if (typeof v === 'number') return true;
  const t = v !== null && typeof v === 'object' ? (v as { _bsontype?: string })._bsontype : undefined;
  return t === 'Long' || t === 'Decimal128' || t === 'Int32' || t === 'Double';
}

/**
 * Type checks mongod makes before applying operators, which mingo would skip silently
 * ($inc on a string, $push onto a non-array): they must fail loudly instead.
 */
function checkModifier(doc: Doc, modifier: Doc): void {
  for (const [op, spec] of Object.entries(modifier)) {
    if (!isPlainObject(spec)) {
      throw err('FailedToParse', `Modifiers operate on fields but we found type ${typeName(spec)} instead. For example: {$mod: {<field>: ...}} not {${op}: ${formatValue(spec)}}`);
    }
    for (const [path, arg] of Object.entries(spec)) {
      if (path.includes('$')) continue; // positional paths: the element is resolved by mingo
      const field = path.split('.').at(-1);
      if (NUMERIC_OPS.has(op)) {
        if (!isNumeric(arg)) {
          throw err('TypeMismatch', `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${formatValue(arg)}}`);
        }
        const cur = getPath(doc, path);
        if (cur !== MISSING && !isNumeric(cur)) {
          throw err('TypeMismatch', `Cannot apply ${op} to a value of non-numeric type. {_id: ${formatValue(doc._id)}} has the field '${field}' of non-numeric type ${typeName(cur)}`);
        }
      } else if (ARRAY_OPS.has(op)) {
        const cur = getPath(doc, path);
        if (cur !== MISSING && cur !== null && !Array.isArray(cur)) {
          throw err('BadValue', `The field '${field}' must be an array but is of type ${typeName(cur)} in document {_id: ${formatValue(doc._id)}}`);
        }
      }
    }
  }
}

/** Fields an upsert copies from the query: equalities (incl. $eq) at the top level and in $and. */
function seedFields(query: Doc, out: Doc): Doc {
  for (const [k, v] of Object.entries(query)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) seedFields(sub, out);
    } else if (!k.startsWith('$') && !(v instanceof RegExp)) {
      const isOps = isPlainObject(v) && Object.keys(v).some((x) => x.startsWith('$'));
      if (!isOps) out[k] = v;
      else if ('$eq' in (v as Doc)) out[k] = (v as Doc).$eq;
    }
  }
  return out;
}

function upsertSeed(query: Doc, spec: UpdateSpec): Doc {
  const seed = seedFields(query, {});
  if (spec.kind === 'replacement') return '_id' in seed ? { _id: seed._id } : {};
  // _id goes in directly: mingo (rightly) refuses to $set an _id.
  const { _id, ...rest } = seed;
  const doc: Doc = _id === undefined ? {} : { _id };
  if (Object.keys(rest).length) applyOperators(doc, { $set: rest }, undefined, undefined, spec.eval);
  return doc;
}

function buildUpsert(query: Doc, spec: UpdateSpec): Doc {
  const seed = upsertSeed(query, spec);
  const { doc } = applyUpdate(seed, spec, true);
  return prepareInsert(doc);
}

interface StatementResult {
  n: number;
  nModified: number;
  upsertedId?: unknown;
}

function runUpdateStatement(ctx: CommandContext, name: string, stmt: Doc, cmd: Doc): StatementResult {
  const q = optDoc('update', stmt, 'q') ?? {};
  const u = stmt.u;
  const kind = updateKind(u);
  const multi = optBool('update', stmt, 'multi') ?? false;
  const upsert = optBool('update', stmt, 'upsert') ?? false;
  if (multi && kind === 'replacement') throw err('FailedToParse', 'multi update is not supported for replacement-style update');
  if (stmt.arrayFilters !== undefined && !Array.isArray(stmt.arrayFilters)) throw err('TypeMismatch', 'arrayFilters must be an array');
  const e = evalOptions(ctx, { ...cmd, ...(stmt.collation ? { collation: stmt.collation } : {}) });
  const spec: UpdateSpec = { u: u as Doc | Doc[], kind, arrayFilters: stmt.arrayFilters as Doc[] | undefined, query: q, eval: e };
  const coll = ctx.store.coll(ctx.db, name);
  refuseTimeseriesInTxn(coll, ctx, 'update');
  checkHint(coll, stmt.hint);
  const matches = findDocs(ctx, coll, q, { limit: multi ? undefined : 1, sort: sortSpec(stmt.sort), eval: e });
  let nModified = 0;
  for (const doc of matches) {
    const { doc: next, changed } = applyUpdate(doc, spec, false);
    if (!changed || !coll) continue;
    validate(coll, next, doc, cmd);
    ctx.store.replace(coll, keyOf(doc._id), next, ctx.batch);
    nModified++;
  }
  if (matches.length || !upsert) return { n: matches.length, nModified };
  const target = ctx.store.ensure(ctx.db, name, ctx.batch);
  const doc = buildUpsert(q, spec);
  validate(target, doc, undefined, cmd);
  ctx.store.insert(target, doc, ctx.batch);
  return { n: 1, nModified: 0, upsertedId: doc._id };
}

const update: CommandDef = {
  gated: true,
  retryableWrite: true,
  inTransaction: true,
  fields: ['updates', 'ordered', 'bypassDocumentValidation', 'let'],
  handler(cmd, ctx) {
    const name = collectionName('update', cmd);
    if (!Array.isArray(cmd.updates)) throw err('FailedToParse', "BSON field 'update.updates' is missing but a required field");
    const ordered = optBool('update', cmd, 'ordered') ?? true;
    let n = 0;
    let nModified = 0;
    const upserted: Doc[] = [];
    const writeErrors: Doc[] = [];
    const stmtFields = ['q', 'u', 'upsert', 'multi', 'arrayFilters', 'hint', 'collation', 'c', 'sort', 'upsertSupplied'];
    cmd.updates.forEach((stmt: unknown, i: number) => {
      if (ordered && writeErrors.length) return;
      try {
        if (!isPlainObject(stmt)) throw err('TypeMismatch', 'update statements must be objects');
        for (const k of Object.keys(stmt)) if (!stmtFields.includes(k)) throw locationErr(40415, `BSON field 'update.updates.${k}' is an unknown field.`);
        if (stmt.c !== undefined) throw err('CommandNotSupported', "update 'c' (constants) is not supported by the embedded server");
        const r = runUpdateStatement(ctx, name, stmt, cmd);
        n += r.n;
        nModified += r.nModified;
        if (r.upsertedId !== undefined) upserted.push({ index: i, _id: r.upsertedId });
      } catch (e) {
        writeErrors.push(asCommandError(e).toWriteError(i));
      }
    });
    const reply: Doc = { n, nModified };
    if (upserted.length) reply.upserted = upserted;
    if (writeErrors.length) reply.writeErrors = writeErrors;
    reply.ok = 1;
    return reply;
  },
};

const del: CommandDef = {
  gated: true,
  retryableWrite: true,
  inTransaction: true,
  fields: ['deletes', 'ordered', 'let'],
  handler(cmd, ctx) {
    const name = collectionName('delete', cmd);
    if (!Array.isArray(cmd.deletes)) throw err('FailedToParse', "BSON field 'delete.deletes' is missing but a required field");
    const ordered = optBool('delete', cmd, 'ordered') ?? true;
    const coll = ctx.store.coll(ctx.db, name);
    refuseTimeseriesInTxn(coll, ctx, 'delete from');
    let n = 0;
    const writeErrors: Doc[] = [];
    cmd.deletes.forEach((stmt: unknown, i: number) => {
      if (ordered && writeErrors.length) return;
      try {
        if (!isPlainObject(stmt)) throw err('TypeMismatch', 'delete statements must be objects');
        for (const k of Object.keys(stmt)) {
          if (!['q', 'limit', 'collation', 'hint'].includes(k)) throw locationErr(40415, `BSON field 'delete.deletes.${k}' is an unknown field.`);
        }
        const limit = stmt.limit ?? 0;
        if (limit !== 0 && limit !== 1) throw err('FailedToParse', `The limit field in delete objects must be 0 or 1. Got ${String(limit)}`);
        const q = optDoc('delete', stmt, 'q') ?? {};
        const e = evalOptions(ctx, { ...cmd, ...(stmt.collation ? { collation: stmt.collation } : {}) });
        checkHint(coll, stmt.hint);
        const matches = findDocs(ctx, coll, q, { limit: limit === 1 ? 1 : undefined, eval: e });
        for (const d of matches) ctx.store.remove(coll as Collection, keyOf(d._id), ctx.batch);
        n += matches.length;
      } catch (e) {
        writeErrors.push(asCommandError(e).toWriteError(i));
      }
    });
    return writeErrors.length ? { n, writeErrors, ok: 1 } : { n, ok: 1 };
  },
};

const findAndModify: CommandDef = {
  gated: true,
  retryableWrite: true,
  inTransaction: true,
  fields: ['query', 'sort', 'remove', 'update', 'new', 'fields', 'upsert', 'bypassDocumentValidation', 'collation', 'arrayFilters', 'hint', 'let'],
  handler(cmd, ctx) {
    const name = collectionName('findAndModify', cmd);
    const query = optDoc('findAndModify', cmd, 'query') ?? {};
    const remove = optBool('findAndModify', cmd, 'remove') ?? false;
    const upsert = optBool('findAndModify', cmd, 'upsert') ?? false;
    const returnNew = optBool('findAndModify', cmd, 'new') ?? false;
    const fields = optDoc('findAndModify', cmd, 'fields');
    if (remove && cmd.update !== undefined) throw err('FailedToParse', 'Cannot specify both an update and remove=true');
    if (!remove && cmd.update === undefined) throw err('FailedToParse', 'Either an update or remove=true must be specified');
    if (remove && upsert) throw err('FailedToParse', 'Cannot specify both upsert=true and remove=true ');
    if (remove && returnNew) throw err('FailedToParse', 'Cannot specify both new=true and remove=true; \'remove\' always returns the deleted document');
    const e = evalOptions(ctx, cmd);
    const coll = ctx.store.coll(ctx.db, name);
    refuseTimeseriesInTxn(coll, ctx, 'findAndModify');
    checkHint(coll, cmd.hint);
    const [doc] = findDocs(ctx, coll, query, { limit: 1, sort: sortSpec(cmd.sort), eval: e });
    const shape = (d: Doc | null) => (d ? project([d], fields, e)[0] : null);
    if (remove) {
      if (!doc) return { lastErrorObject: { n: 0 }, value: null, ok: 1 };
      ctx.store.remove(coll as Collection, keyOf(doc._id), ctx.batch);
      return { lastErrorObject: { n: 1 }, value: shape(doc), ok: 1 };
    }
    const kind = updateKind(cmd.update);
    const spec: UpdateSpec = { u: cmd.update as Doc | Doc[], kind, arrayFilters: cmd.arrayFilters as Doc[] | undefined, query, eval: e };
    if (doc && coll) {
      const { doc: next, changed } = applyUpdate(doc, spec, false);
      if (changed) {
        validate(coll, next, doc, cmd);
        ctx.store.replace(coll, keyOf(doc._id), next, ctx.batch);
      }
      return { lastErrorObject: { n: 1, updatedExisting: true }, value: shape(returnNew ? next : doc), ok: 1 };
    }
    if (!upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
    const target = ctx.store.ensure(ctx.db, name, ctx.batch);
    const created = buildUpsert(query, spec);
    validate(target, created, undefined, cmd);
    ctx.store.insert(target, created, ctx.batch);
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: created._id },
      value: returnNew ? shape(created) : null,
      ok: 1,
    };
  },
};

export const writeCommands: Record<string, CommandDef> = {
  insert,
  update,
  delete: del,
  findAndModify,
  findandmodify: findAndModify,
};
