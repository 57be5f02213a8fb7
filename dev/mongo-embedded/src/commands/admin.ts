import { ObjectId, Timestamp } from 'bson';
import { isPlainObject, keyOf } from '../bsonutil.js';
import type { CommandContext, CommandDef } from '../context.js';
import { compileFilter, runFind } from '../engine.js';
import { CommandError, err } from '../errors.js';
import type { Collection, IndexDirection, IndexSpec } from '../storage/collection.js';
import { validateNamespace } from '../storage/store.js';
import type { Doc } from '../types.js';
import { collectionName, GENERIC_FIELDS, optBool, optDoc, readColl } from './common.js';
import { checkValidator } from './write.js';

export const SERVER_VERSION = '7.0.0';
export const REPLICA_SET = 'flix';
const MAX_WIRE_VERSION = 21; // MongoDB 7.0
const ELECTION_ID = new ObjectId('7fffffff0000000000000001');

function hello(_cmd: Doc, ctx: CommandContext): Doc {
  const now = new Date();
  const opTime = { ts: Timestamp.fromBits(0, Math.floor(now.getTime() / 1000)), t: 1 };
  return {
    helloOk: true,
    ismaster: true,
    isWritablePrimary: true,
    setName: REPLICA_SET,
    setVersion: 1,
    hosts: [ctx.server.me],
    primary: ctx.server.me,
    me: ctx.server.me,
    secondary: false,
    electionId: ELECTION_ID,
    lastWrite: { opTime, lastWriteDate: now, majorityOpTime: opTime, majorityWriteDate: now },
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: now,
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.conn.id,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  };
}

const handshake = (h: (cmd: Doc, ctx: CommandContext) => Doc): CommandDef => ({ gated: false, inTransaction: true, handler: h });

const buildInfo = (): Doc => ({
  version: SERVER_VERSION,
  gitVersion: 'embedded',
  versionArray: [7, 0, 0, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize: 16 * 1024 * 1024,
  storageEngines: ['embedded'],
  javascriptEngine: 'none',
  modules: [],
  allocator: 'system',
  openssl: { running: 'disabled' },
  ok: 1,
});

const PARAMETERS: Doc = {
  featureCompatibilityVersion: { version: '7.0' },
  maxTransactionLockRequestTimeoutMillis: 5,
  authenticationMechanisms: [],
  logLevel: 0,
  quiet: false,
};

function getParameter(cmd: Doc, ctx: CommandContext): Doc {
  const all = cmd.getParameter === '*' || (isPlainObject(cmd.getParameter) && cmd.getParameter.allParameters === true);
  const out: Doc = {};
  const params: Doc = {
    ...PARAMETERS,
    ttlMonitorSleepSecs: ctx.server.ttlMonitorSleepSecs(),
    transactionLifetimeLimitSeconds: ctx.server.transactionLifetimeLimitSeconds(),
  };
  for (const [k, v] of Object.entries(params)) if (all || k in cmd) out[k] = v;
  if (!Object.keys(out).length) throw err('InvalidOptions', 'no option found to get');
  return { ...out, ok: 1 };
}

/** The parameters tests tune on a real mongod too; anything else is refused, loudly. */
const SETTABLE: Record<string, (ctx: CommandContext, v: number) => number> = {
  ttlMonitorSleepSecs: (ctx, v) => ctx.server.setTtlMonitorSleepSecs(v),
  transactionLifetimeLimitSeconds: (ctx, v) => ctx.server.setTransactionLifetimeLimitSeconds(v),
};

function setParameter(cmd: Doc, ctx: CommandContext): Doc {
  if (ctx.db !== 'admin') throw err('IllegalOperation', 'setParameter may only be run against the admin database.');
  const names = Object.keys(cmd).slice(1).filter((k) => !GENERIC_FIELDS.has(k));
  if (names.length !== 1 || !(names[0] in SETTABLE)) {
    throw err('InvalidOptions', `setParameter: only ${Object.keys(SETTABLE).join(', ')} can be set on the embedded server (got ${names.join(', ') || 'nothing'})`);
  }
  const v = cmd[names[0]];
  if (typeof v !== 'number' || !(v > 0)) throw err('BadValue', `${names[0]} must be a positive number`);
  return { was: SETTABLE[names[0]](ctx, v), ok: 1 };
}

function listDatabases(cmd: Doc, ctx: CommandContext): Doc {
  const nameOnly = optBool('listDatabases', cmd, 'nameOnly') ?? false;
  const visible = [...ctx.store.dbs.entries()].filter(([, colls]) => [...colls.values()].some((c) => !ctx.view?.hides(c)));
  let dbs: Doc[] = visible.map(([name, colls]) => {
    const objects = [...colls.values()].reduce((n, c) => n + c.docs.size, 0);
    return nameOnly ? { name } : { name, sizeOnDisk: 4096 * (colls.size + 1) + objects * 64, empty: objects === 0 };
  });
  const filter = optDoc('listDatabases', cmd, 'filter');
  if (filter) dbs = runFind(dbs, { filter });
  if (nameOnly) return { databases: dbs, ok: 1 };
  const totalSize = dbs.reduce((n, d) => n + Number(d.sizeOnDisk), 0);
  return { databases: dbs, totalSize, totalSizeMb: Math.round(totalSize / 1024 / 1024), ok: 1 };
}

/** Options `create` accepts; the ones we cannot honour are refused below, loudly. */
const CREATE_FIELDS = [
  'capped', 'size', 'max', 'timeseries', 'expireAfterSeconds', 'validator', 'validationLevel', 'validationAction',
  'collation', 'viewOn', 'pipeline', 'clusteredIndex', 'changeStreamPreAndPostImages', 'storageEngine',
  'indexOptionDefaults', 'autoIndexId', 'idIndex', 'flags', 'encryptedFields',
];

function createOptions(cmd: Doc): Doc {
  const unsupported = ['capped', 'viewOn', 'pipeline', 'clusteredIndex', 'collation', 'encryptedFields'].find(
    (f) => cmd[f] !== undefined && cmd[f] !== false,
  );
  if (unsupported) throw err('CommandNotSupported', `create option '${unsupported}' is not supported by the embedded server`);
  const options: Doc = {};
  for (const [k, v] of Object.entries(cmd).slice(1)) if (!GENERIC_FIELDS.has(k)) options[k] = v;
  if (options.timeseries !== undefined) {
    const ts = options.timeseries;
    if (!isPlainObject(ts) || typeof ts.timeField !== 'string') {
      throw err('BadValue', "BSON field 'create.timeseries.timeField' is missing but a required field");
    }
    options.timeseries = { granularity: 'seconds', bucketMaxSpanSeconds: 3600, ...ts };
  }
  if (options.expireAfterSeconds !== undefined && options.timeseries === undefined) {
    throw err('InvalidOptions', "'expireAfterSeconds' is only supported on time-series collections");
  }
  if (options.validator !== undefined) {
    if (!isPlainObject(options.validator)) throw err('TypeMismatch', "BSON field 'create.validator' is the wrong type");
    checkValidator(options);
  }
  return options;
}

function create(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName('create', cmd);
  validateNamespace(ctx.db, name);
  const existing = ctx.store.coll(ctx.db, name);
  if (existing) {
    // mongod 7 treats an identical re-create as success.
    const same = (() => {
      try {
        return keyOf(existing.meta.options) === keyOf(createOptions(cmd));
      } catch {
        return false;
      }
    })();
    if (same) return { ok: 1 };
    throw err('NamespaceExists', `Collection ${ctx.db}.${name} already exists.`);
  }
  const options = createOptions(cmd);
  ctx.store.ensure(ctx.db, name, ctx.batch, options);
  return { ok: 1 };
}

/** Collections of the command's db, minus those an open transaction of another session created. */
function visibleCollections(ctx: CommandContext): Collection[] {
  return ctx.store.collections(ctx.db).filter((c) => !ctx.view?.hides(c));
}

function listCollections(cmd: Doc, ctx: CommandContext): Doc {
  const nameOnly = optBool('listCollections', cmd, 'nameOnly') ?? false;
  let out: Doc[] = visibleCollections(ctx).map((c) => {
    const type = c.isTimeseries ? 'timeseries' : 'collection';
    if (nameOnly) return { name: c.name, type };
    const entry: Doc = { name: c.name, type, options: c.meta.options, info: c.isTimeseries ? { readOnly: false } : { readOnly: false, uuid: c.meta.uuid } };
    if (!c.isTimeseries) entry.idIndex = { v: 2, key: { _id: 1 }, name: '_id_' };
    return entry;
  });
  const filter = optDoc('listCollections', cmd, 'filter');
  if (filter) out = runFind(out, { filter });
  const cursor = optDoc('listCollections', cmd, 'cursor');
  return { cursor: ctx.cursors.open(`${ctx.db}.$cmd.listCollections`, out, cursor?.batchSize as number | undefined, false, ctx.session), ok: 1 };
}

function drop(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName('drop', cmd);
  const coll = ctx.store.coll(ctx.db, name);
  // mongod 7 no longer fails on a missing collection.
  if (!coll) return { ok: 1 };
  const nIndexesWas = coll.indexes.size + 1;
  ctx.store.dropCollection(ctx.db, name, ctx.batch);
  return { nIndexesWas, ns: coll.ns, ok: 1 };
}

function dropDatabase(_cmd: Doc, ctx: CommandContext): Doc {
  ctx.store.dropDatabase(ctx.db, ctx.batch);
  return { dropped: ctx.db, ok: 1 };
}

const INDEX_OPTIONS = new Set([
  'key', 'name', 'unique', 'sparse', 'expireAfterSeconds', 'partialFilterExpression', 'background', 'hidden', 'v', 'ns',
  'collation', 'storageEngine', 'weights', 'default_language', 'language_override', 'textIndexVersion', '2dsphereIndexVersion',
  'bits', 'min', 'max', 'bucketSize', 'wildcardProjection', 'dropDups',
]);

function cannotCreate(msg: string): CommandError {
  return err('CannotCreateIndex', msg);
}

function normalizeIndexSpec(raw: unknown): IndexSpec {
  if (!isPlainObject(raw)) throw err('TypeMismatch', "The field 'indexes' must be an array of objects");
  for (const k of Object.keys(raw)) {
    if (!INDEX_OPTIONS.has(k)) throw new CommandError(197, 'InvalidIndexSpecificationOption', `The field '${k}' is not valid for an index specification. Specification: ${JSON.stringify(raw)}`);
  }
  const key = raw.key;
  if (!isPlainObject(key) || !Object.keys(key).length) throw cannotCreate("Index keys cannot be an empty field.");
  if (typeof raw.name !== 'string' || !raw.name) throw err('TypeMismatch', "The field 'name' must be a non-empty string");
  const outKey: Record<string, IndexDirection> = {};
  for (const [f, d] of Object.entries(key)) {
    if (d === 'hashed') outKey[f] = 'hashed';
    else if (typeof d === 'number' && d !== 0 && Number.isFinite(d)) outKey[f] = d > 0 ? 1 : -1;
    else if (typeof d === 'string') throw cannotCreate(`'${d}' indexes are not supported by the embedded server (index '${raw.name}')`);
    else throw cannotCreate(`Values in the index key pattern can't be 0 or invalid: ${f}: ${String(d)}`);
    if (f.includes('$**')) throw cannotCreate('wildcard indexes are not supported by the embedded server');
  }
  if (raw.collation !== undefined) throw cannotCreate('index collations are not supported by the embedded server');
  const spec: IndexSpec = { v: 2, key: outKey, name: raw.name };
  if (raw.unique === true) {
    if (Object.values(outKey).includes('hashed')) throw err('InvalidOptions', 'Currently hashed indexes cannot guarantee uniqueness. Use a regular index.');
    spec.unique = true;
  }
  if (raw.sparse === true) spec.sparse = true;
  if (raw.hidden === true) spec.hidden = true;
  if (raw.expireAfterSeconds !== undefined) {
    const s = raw.expireAfterSeconds;
    if (typeof s !== 'number' || s < 0 || s > 2147483647) throw cannotCreate('TTL index \'expireAfterSeconds\' option must be within an acceptable range');
    if (Object.keys(outKey).length !== 1) throw cannotCreate("TTL index 'expireAfterSeconds' option is only supported on single-field indexes");
    if ('_id' in outKey) throw cannotCreate("The field 'expireAfterSeconds' is not valid for an _id index specification.");
    spec.expireAfterSeconds = Math.floor(s);
  }
  if (raw.partialFilterExpression !== undefined) {
    if (!isPlainObject(raw.partialFilterExpression)) throw err('TypeMismatch', 'partialFilterExpression must be an object');
    compileFilter(raw.partialFilterExpression);
    spec.partialFilterExpression = raw.partialFilterExpression;
  }
  return spec;
}

const specSignature = (s: IndexSpec) => keyOf({ ...s, v: 2, name: '' });

function createIndexes(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName('createIndexes', cmd);
  if (!Array.isArray(cmd.indexes) || cmd.indexes.length === 0) throw err('BadValue', 'Must specify at least one index to create');
  const specs = cmd.indexes.map(normalizeIndexSpec);
  const existed = ctx.store.coll(ctx.db, name) !== undefined;
  const coll = ctx.store.ensure(ctx.db, name, ctx.batch);
  if (coll.isTimeseries && specs.some((s) => s.unique)) throw cannotCreate('Unique indexes are not supported on time-series collections');
  const before = coll.indexes.size + 1;
  let created = 0;
  for (const spec of specs) {
    if (spec.name === '_id_' || keyOf(spec.key) === keyOf({ _id: 1 })) {
      if (spec.name !== '_id_' || keyOf(spec.key) !== keyOf({ _id: 1 }) || spec.unique === false) {
        throw err('IndexOptionsConflict', 'Index with name: _id_ already exists with a different key pattern or options');
      }
      continue;
    }
    const sameName = coll.indexes.get(spec.name);
    if (sameName) {
      if (keyOf(sameName.spec.key) !== keyOf(spec.key)) {
        throw err('IndexKeySpecsConflict', `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameName.spec)}`);
      }
      if (specSignature(sameName.spec) !== specSignature(spec)) {
        throw err('IndexOptionsConflict', `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameName.spec)}`);
      }
      continue;
    }
    const sameKey = [...coll.indexes.values()].find((i) => keyOf(i.spec.key) === keyOf(spec.key));
    if (sameKey) {
      throw err('IndexOptionsConflict', `Index already exists with a different name: ${sameKey.name}`);
    }
    ctx.store.createIndex(coll, spec, ctx.batch);
    created++;
  }
  const reply: Doc = { numIndexesBefore: before, numIndexesAfter: coll.indexes.size + 1, createdCollectionAutomatically: !existed };
  if (!created) reply.note = 'all indexes already exist';
  reply.ok = 1;
  return reply;
}

function listIndexes(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName('listIndexes', cmd);
  const coll = readColl(ctx, name);
  if (!coll) throw err('NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`);
  // Time-series collections have no _id index, only the secondary ones.
  const specs = coll.isTimeseries ? coll.allIndexSpecs().slice(1) : coll.allIndexSpecs();
  const cursor = optDoc('listIndexes', cmd, 'cursor');
  return { cursor: ctx.cursors.open(`${ctx.db}.$cmd.listIndexes.${name}`, specs as unknown as Doc[], cursor?.batchSize as number | undefined, false, ctx.session), ok: 1 };
}

function dropIndexes(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName('dropIndexes', cmd);
  const coll = ctx.store.coll(ctx.db, name);
  if (!coll) throw err('NamespaceNotFound', `ns not found ${ctx.db}.${name}`);
  const nIndexesWas = coll.indexes.size + 1;
  const which = cmd.index;
  let names: string[];
  if (which === '*') names = [...coll.indexes.keys()];
  else if (typeof which === 'string') names = [which];
  else if (Array.isArray(which)) names = which.map(String);
  else if (isPlainObject(which)) {
    const match = [...coll.indexes.values()].find((i) => keyOf(i.spec.key) === keyOf(which));
    if (!match) {
      if (keyOf(which) === keyOf({ _id: 1 })) throw err('InvalidOptions', 'cannot drop _id index');
      throw err('IndexNotFound', `can't find index with key: ${JSON.stringify(which)}`);
    }
    names = [match.name];
  } else throw err('TypeMismatch', "BSON field 'dropIndexes.index' is missing but a required field");
  for (const n of names) {
    if (n === '_id_') throw err('InvalidOptions', 'cannot drop _id index');
    if (!coll.indexes.has(n)) throw err('IndexNotFound', `index not found with name [${n}]`);
  }
  for (const n of names) ctx.store.dropIndex(coll, n, ctx.batch);
  const reply: Doc = { nIndexesWas };
  if (which === '*') reply.msg = 'non-_id indexes dropped for collection';
  reply.ok = 1;
  return reply;
}

function serverStatus(_cmd: Doc, ctx: CommandContext): Doc {
  const uptimeMillis = Date.now() - ctx.server.startedAt;
  return {
    host: ctx.server.me,
    version: SERVER_VERSION,
    process: 'mongod',
    pid: process.pid,
    uptime: Math.floor(uptimeMillis / 1000),
    uptimeMillis,
    uptimeEstimate: Math.floor(uptimeMillis / 1000),
    localTime: new Date(),
    connections: { current: ctx.server.connections(), available: 1_000_000, totalCreated: ctx.server.totalConnections() },
    storageEngine: { name: 'embedded', supportsCommittedReads: true, persistent: ctx.server.persistent },
    transactions: ctx.server.transactionStats(),
    repl: { setName: REPLICA_SET, isWritablePrimary: true, hosts: [ctx.server.me], primary: ctx.server.me, me: ctx.server.me },
    ok: 1,
  };
}

function dbStats(_cmd: Doc, ctx: CommandContext): Doc {
  const colls = visibleCollections(ctx);
  const objects = colls.reduce((n, c) => n + c.docs.size, 0);
  const indexes = colls.reduce((n, c) => n + c.indexes.size + 1, 0);
  return { db: ctx.db, collections: colls.length, views: 0, objects, indexes, scaleFactor: 1, ok: 1 };
}

function endSessions(cmd: Doc, ctx: CommandContext): Doc {
  const ids = Object.values(cmd)[0];
  if (Array.isArray(ids)) ctx.sessions.end(ids.filter(isPlainObject).map(sessionKey).filter((k): k is string => k !== null));
  return { ok: 1 };
}

/** The server's key for an lsid document ({id: UUID}). */
export function sessionKey(lsid: Doc): string | null {
  const id = lsid.id as { buffer?: Uint8Array } | undefined;
  if (!id?.buffer) return null;
  return Buffer.from(id.buffer).toString('hex');
}

export const adminCommands: Record<string, CommandDef> = {
  hello: handshake(hello),
  isMaster: handshake(hello),
  ismaster: handshake(hello),
  ping: handshake(() => ({ ok: 1 })),
  buildInfo: handshake(buildInfo),
  buildinfo: handshake(buildInfo),
  getParameter: handshake(getParameter),
  serverStatus: handshake(serverStatus),
  setParameter: handshake(setParameter),
  connectionStatus: handshake(() => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 })),
  hostInfo: handshake(() => ({ system: { currentTime: new Date(), hostname: 'localhost', numCores: 1 }, os: { type: process.platform }, extra: {}, ok: 1 })),
  whatsmyuri: handshake((_c, ctx) => ({ you: ctx.conn.remote, ok: 1 })),
  getCmdLineOpts: handshake(() => ({ argv: ['mongod-embedded'], parsed: {}, ok: 1 })),
  endSessions: handshake(endSessions),
  killSessions: handshake(endSessions),
  refreshSessions: handshake(() => ({ ok: 1 })),
  listDatabases: { gated: true, readOnly: true, fields: ['nameOnly', 'filter', 'authorizedDatabases'], handler: listDatabases },
  dropDatabase: { gated: true, handler: dropDatabase },
  create: { gated: true, inTransaction: true, fields: CREATE_FIELDS, handler: create },
  listCollections: { gated: true, readOnly: true, inTransaction: false, fields: ['filter', 'nameOnly', 'authorizedCollections', 'cursor'], handler: listCollections },
  drop: { gated: true, handler: drop },
  createIndexes: { gated: true, fields: ['indexes', 'commitQuorum', 'ignoreUnknownIndexOptions'], handler: createIndexes },
  listIndexes: { gated: true, readOnly: true, fields: ['cursor'], handler: listIndexes },
  dropIndexes: { gated: true, fields: ['index'], handler: dropIndexes },
  deleteIndexes: { gated: true, fields: ['index'], handler: dropIndexes },
  dbStats: { gated: true, readOnly: true, fields: ['scale', 'freeStorage'], handler: dbStats },
};
