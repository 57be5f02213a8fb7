import { createServer, type Server, type Socket } from 'node:net';
import { urlHostFor } from '@flix/emulator-kit';
import { MISSING, valuesAtPath } from './bsonutil.js';
import { adminCommands, sessionKey } from './commands/admin.js';
import { asCommandError, writeCommands } from './commands/write.js';
import { readCommands } from './commands/read.js';
import { checkFields } from './commands/common.js';
import { Cursors, type CommandContext, type CommandDef, type ConnectionInfo, type ServerInfo } from './context.js';
import { CommandError, err } from './errors.js';
import { Gate, Session, Transaction } from './sessions.js';
import { Journal, releaseLock } from './storage/journal.js';
import { ReadView, Store, WriteBatch, type JournalOp } from './storage/store.js';
import type { Doc, Logger } from './types.js';
import {
  MAX_MESSAGE_BYTES,
  MSG_MORE_TO_COME,
  OP_MSG,
  OP_QUERY,
  encodeMsgReply,
  encodeOpReply,
  parseMessage,
  readHeader,
} from './wire.js';

export interface EmbeddedMongoOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Where the journal and snapshot live; null keeps everything in memory. */
  dataDir: string | null;
  /** How often expired TTL documents are deleted; default 1000 ms. */
  ttlMonitorIntervalMs?: number;
  logger?: Logger;
}

export interface EmbeddedMongo {
  /** mongodb://127.0.0.1:PORT/?directConnection=true */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** mongod's default transactionLifetimeLimitSeconds. */
const TXN_LIFETIME_MS = 60_000;
const SESSION_IDLE_MS = 30 * 60_000;
/** Journal size that triggers a snapshot. */
const COMPACT_AT_BYTES = 64 * 1024 * 1024;

const silent: Logger = { info() {}, warn() {}, error() {} };

const TXN_CONTROL = new Set(['commitTransaction', 'abortTransaction']);

interface Outcome {
  reply: Doc;
  durable: Promise<void> | null;
}

class EmbeddedMongoServer {
  readonly store = new Store();
  readonly cursors = new Cursors();
  readonly gate = new Gate();
  readonly sessions = new Map<string, Session>();
  readonly commands: Record<string, CommandDef> = { ...adminCommands, ...readCommands, ...writeCommands };
  private readonly sockets = new Set<Socket>();
  private readonly timers: NodeJS.Timeout[] = [];
  private nextConnId = 1;
  private txnLifetimeMs = TXN_LIFETIME_MS;
  private readonly txnStats = { totalStarted: 0, totalCommitted: 0, totalAborted: 0 };
  private compacting: Promise<void> | null = null;
  private ttlRunning = false;
  private closed = false;
  journal: Journal | null = null;
  tcp: Server | null = null;
  info: ServerInfo;

  constructor(
    readonly opts: EmbeddedMongoOptions,
    readonly logger: Logger,
  ) {
    this.info = {
      me: '',
      startedAt: Date.now(),
      persistent: opts.dataDir !== null,
      connections: () => this.sockets.size,
      totalConnections: () => this.nextConnId - 1,
      setTtlMonitorSleepSecs: (secs) => {
        const was = this.ttlIntervalMs / 1000;
        this.ttlIntervalMs = secs * 1000;
        this.scheduleTtl();
        return was;
      },
      ttlMonitorSleepSecs: () => this.ttlIntervalMs / 1000,
      setTransactionLifetimeLimitSeconds: (secs) => {
        const was = this.txnLifetimeMs / 1000;
        this.txnLifetimeMs = secs * 1000;
        return was;
      },
      transactionLifetimeLimitSeconds: () => this.txnLifetimeMs / 1000,
      transactionStats: () => ({
        ...this.txnStats,
        currentActive: this.gate.holder?.startsWith('__') ? 0 : this.gate.holder ? 1 : 0,
        currentOpen: this.gate.holder && !this.gate.holder.startsWith('__') ? 1 : 0,
        // Commands of other sessions queued behind the open transaction (embedded only).
        lockQueue: this.gate.queued,
      }),
    };
    this.ttlIntervalMs = opts.ttlMonitorIntervalMs ?? 1000;
  }

  async start(): Promise<number> {
    if (this.opts.dataDir) {
      const t0 = Date.now();
      const { journal, replayedOps } = Journal.open(this.opts.dataDir, this.store, this.logger);
      this.journal = journal;
      const docs = [...this.store.dbs.values()].flatMap((c) => [...c.values()]).reduce((n, c) => n + c.docs.size, 0);
      this.logger.info({ dataDir: this.opts.dataDir, docs, replayedOps, ms: Date.now() - t0 }, 'embedded mongo: data loaded');
      if (replayedOps > 10_000) await this.compact();
    }
    const host = this.opts.host ?? '127.0.0.1';
    const tcp = createServer((s) => this.accept(s));
    this.tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.opts.port ?? 0, host, () => resolve());
    });
    const addr = tcp.address();
    if (!addr || typeof addr === 'string') throw new Error('no TCP address');
    this.info.me = `${urlHostFor(host)}:${addr.port}`;
    const every = (ms: number, fn: () => void) => this.timers.push(setInterval(fn, ms).unref());
    this.scheduleTtl();
    every(60_000, () => {
      this.cursors.sweep();
      this.sweepSessions();
    });
    every(10 * 60_000, () => void this.compact());
    return addr.port;
  }

  // ---- connections -------------------------------------------------------------------------

  private accept(socket: Socket): void {
    const conn: ConnectionInfo = { id: this.nextConnId++, remote: `${socket.remoteAddress}:${socket.remotePort}` };
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const chunks: Buffer[] = [];
    let buffered = 0;
    let queue = Promise.resolve();
    socket.on('data', (data: Buffer) => {
      chunks.push(data);
      buffered += data.length;
      while (buffered >= 4) {
        const head = chunks[0].length >= 4 ? chunks[0] : Buffer.concat(chunks);
        const len = head.readInt32LE(0);
        if (len < 16 || len > MAX_MESSAGE_BYTES) {
          this.logger.warn({ conn: conn.id, len }, 'embedded mongo: bad message length, closing connection');
          socket.destroy();
          return;
        }
        if (buffered < len) break;
        const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        const msg = all.subarray(0, len);
        const rest = all.subarray(len);
        chunks.length = 0;
        if (rest.length) chunks.push(rest);
        buffered = rest.length;
        // One request at a time per connection, in order, as mongod does.
        queue = queue
          .then(() => this.onMessage(socket, conn, msg))
          .catch((e: unknown) => {
            this.logger.error({ conn: conn.id, err: (e as Error).message }, 'embedded mongo: connection failed');
            socket.destroy();
          });
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      // This server runs one transaction at a time. A client killed mid-transaction (its sockets
      // close) would otherwise hold every other client's writes until the lifetime limit; the
      // driver answers a later statement's NoSuchTransaction as a transient error and retries.
      for (const session of this.sessions.values()) {
        if (session.txn?.state === 'active' && session.txn.connectionId === conn.id) this.abortTxn(session, session.txn, 'client connection closed');
      }
    });
  }

  private async onMessage(socket: Socket, conn: ConnectionInfo, msg: Buffer): Promise<void> {
    let req;
    try {
      req = parseMessage(msg);
    } catch (e) {
      this.logger.warn({ conn: conn.id, opCode: readHeader(msg).opCode, err: (e as Error).message }, 'embedded mongo: unparsable message');
      socket.destroy();
      return;
    }
    const body = req.kind === 'query' ? { ...req.body, $db: req.body.$db ?? req.collection.split('.')[0] } : req.body;
    const reply = await this.dispatch(body, conn);
    if (req.kind === 'msg' && req.flags & MSG_MORE_TO_COME) return;
    const encode = req.kind === 'query' ? encodeOpReply : encodeMsgReply;
    let out: Buffer;
    try {
      out = encode(req.header.requestId, reply);
    } catch (e) {
      // e.g. a result document over the BSON size limit: still answer, as an error.
      out = encode(req.header.requestId, err('BSONObjectTooLarge', `reply could not be encoded: ${(e as Error).message}`).toReply());
    }
    if (!socket.destroyed) socket.write(out);
  }

  // ---- commands ----------------------------------------------------------------------------

  async dispatch(body: Doc, conn: ConnectionInfo): Promise<Doc> {
    const name = Object.keys(body)[0] ?? '';
    try {
      if (this.closed) throw err('InternalError', 'server is shutting down', undefined, ['RetryableWriteError']);
      if (typeof body.$db !== 'string') throw err('FailedToParse', "BSON field '$db' is missing but a required field");
      const session = this.sessionFor(body);
      if (TXN_CONTROL.has(name)) {
        checkFields(name, body, []);
        const out = name === 'commitTransaction' ? this.commit(body, session) : this.abort(body, session);
        if (out.durable) await out.durable;
        return out.reply;
      }
      const def = this.commands[name];
      if (!def) throw err('CommandNotFound', `no such command: '${name}'`);
      if (def.fields) checkFields(name, body, def.fields);
      const key = session?.id ?? `conn:${conn.id}`;
      const view = def.readOnly && body.autocommit === undefined ? this.committedViewFor(key) : null;
      const run = () => this.execute(def, name, body, session, conn, view);
      const out = def.gated && !view ? await this.gate.run(key, run) : run();
      if (out.durable) await out.durable;
      return out.reply;
    } catch (e) {
      const ce = asCommandError(e);
      if (ce.code === 1) this.logger.error({ command: name, err: ce.message }, 'embedded mongo: internal error');
      return ce.toReply();
    }
  }

  /** While another session's transaction is open, plain reads see the state before it. */
  private committedViewFor(key: string): ReadView | null {
    const holder = this.gate.holder;
    if (holder === null || holder === key) return null;
    const txn = this.sessions.get(holder)?.txn;
    return txn?.state === 'active' ? new ReadView(txn.batch) : null;
  }

  private sessionFor(body: Doc): Session | null {
    const lsid = body.lsid;
    if (!lsid || typeof lsid !== 'object') return null;
    const key = sessionKey(lsid as Doc);
    if (!key) return null;
    let s = this.sessions.get(key);
    if (!s) this.sessions.set(key, (s = new Session(key)));
    s.lastUse = Date.now();
    return s;
  }

  private context(db: string, batch: WriteBatch, session: Session | null, conn: ConnectionInfo, view: ReadView | null = null): CommandContext {
    return {
      db,
      store: this.store,
      batch,
      inTxn: batch.inTransaction,
      view,
      cursors: this.cursors,
      session,
      server: this.info,
      conn,
      sessions: { end: (ids) => this.endSessions(ids) },
    };
  }

  /** Synchronous by design: runs entirely while the transaction lock allows it. */
  private execute(def: CommandDef, name: string, body: Doc, session: Session | null, conn: ConnectionInfo, view: ReadView | null = null): Outcome {
    const db = body.$db as string;
    const txnNumber = body.txnNumber === undefined ? undefined : Number(body.txnNumber);
    if (body.autocommit !== undefined) {
      if (body.autocommit !== false) throw err('InvalidOptions', 'Specifying autocommit=true is not allowed.');
      if (!session || txnNumber === undefined) throw err('InvalidOptions', 'Transactions need a session id (lsid) and a txnNumber');
      return this.executeInTransaction(def, name, body, session, txnNumber, conn);
    }
    if (body.startTransaction !== undefined) throw err('InvalidOptions', 'startTransaction requires autocommit: false');
    if (session && txnNumber !== undefined && def.retryableWrite) {
      if (txnNumber < session.highestTxnNumber) {
        throw err('TransactionTooOld', `Retryable write with txnNumber ${txnNumber} is prohibited on session ${session.id} because a newer retryable write with txnNumber ${session.highestTxnNumber} has already started on this session.`);
      }
      // A retry of a write that already ran: answer as before, apply nothing.
      if (session.retry?.txnNumber === txnNumber) return { reply: session.retry.reply, durable: session.retry.durable };
      if (session.txn?.state === 'active') this.abortTxn(session, session.txn, 'superseded by a newer txnNumber');
      session.highestTxnNumber = txnNumber;
      const out = this.executePlain(def, body, session, conn);
      if (out.reply.ok === 1) session.retry = { txnNumber, reply: out.reply, durable: out.durable };
      return out;
    }
    return this.executePlain(def, body, session, conn, view);
  }

  private executePlain(def: CommandDef, body: Doc, session: Session | null, conn: ConnectionInfo, view: ReadView | null = null): Outcome {
    const batch = new WriteBatch(false);
    const ctx = this.context(body.$db as string, batch, session, conn, view);
    let reply: Doc;
    try {
      reply = def.handler(body, ctx);
    } catch (e) {
      // Writes made before the failure (e.g. an implicit collection creation) still stand.
      reply = asCommandError(e).toReply();
    }
    return { reply, durable: this.persist(batch.ops) };
  }

  private executeInTransaction(def: CommandDef, name: string, body: Doc, session: Session, txnNumber: number, conn: ConnectionInfo): Outcome {
    let txn = session.txn;
    if (body.startTransaction === true) {
      if (txnNumber < session.highestTxnNumber || (txnNumber === session.highestTxnNumber && txn?.txnNumber === txnNumber)) {
        throw err('TransactionTooOld', `Cannot start transaction ${txnNumber} on session ${session.id} because a newer transaction ${session.highestTxnNumber} has already started.`);
      }
      if (txn?.state === 'active') this.abortTxn(session, txn, 'superseded by a newer transaction');
      if (!def.inTransaction) throw this.notInTxn(name);
      txn = new Transaction(txnNumber);
      session.txn = txn;
      session.highestTxnNumber = txnNumber;
      this.gate.acquire(session.id);
      this.txnStats.totalStarted++;
      const started = txn;
      started.timer = setTimeout(() => {
        if (started.state === 'active') {
          this.logger.warn({ session: session.id, txnNumber, limitMs: this.txnLifetimeMs }, 'embedded mongo: transaction exceeded its lifetime; aborted');
          this.abortTxn(session, started, 'lifetime limit');
        }
      }, this.txnLifetimeMs).unref();
    } else {
      if (!txn || txn.txnNumber !== txnNumber) {
        if (txnNumber < session.highestTxnNumber) throw err('TransactionTooOld', `txnNumber ${txnNumber} is less than last txnNumber ${session.highestTxnNumber} seen in session ${session.id}`);
        throw err('NoSuchTransaction', `Given transaction number ${txnNumber} does not match any in-progress transactions.`, undefined, ['TransientTransactionError']);
      }
      if (txn.state === 'aborted') throw err('NoSuchTransaction', `Transaction with { txnNumber: ${txnNumber} } has been aborted.`, undefined, ['TransientTransactionError']);
      if (txn.state === 'committed') throw err('TransactionCommitted', `Transaction with { txnNumber: ${txnNumber} } has been committed.`);
      if (!def.inTransaction) {
        this.abortTxn(session, txn, 'unsupported operation');
        throw this.notInTxn(name);
      }
    }
    txn.connectionId = conn.id;
    const ctx = this.context(body.$db as string, txn.batch, session, conn);
    let reply: Doc;
    try {
      reply = def.handler(body, ctx);
    } catch (e) {
      // mongod aborts a transaction on any failed statement.
      this.abortTxn(session, txn, 'statement failed');
      throw e;
    }
    if (Array.isArray(reply.writeErrors) && reply.writeErrors.length) this.abortTxn(session, txn, 'write error');
    return { reply, durable: null };
  }

  private notInTxn(name: string): CommandError {
    return err('OperationNotSupportedInTransaction', `Cannot run '${name}' in a multi-document transaction.`);
  }

  private commit(body: Doc, session: Session | null): Outcome {
    const txn = this.txnForControl(body, session);
    if (txn.state === 'committed') return { reply: { ok: 1 }, durable: txn.durable };
    if (txn.state === 'aborted') {
      throw err('NoSuchTransaction', `Transaction with { txnNumber: ${txn.txnNumber} } has been aborted.`, undefined, ['TransientTransactionError']);
    }
    if (txn.timer) clearTimeout(txn.timer);
    txn.state = 'committed';
    this.txnStats.totalCommitted++;
    // All of the transaction's writes go to the journal as one record: durable together or not at all.
    txn.durable = this.persist(txn.batch.ops);
    this.gate.release((session as Session).id);
    return { reply: { ok: 1 }, durable: txn.durable };
  }

  private abort(body: Doc, session: Session | null): Outcome {
    const txn = this.txnForControl(body, session);
    if (txn.state === 'committed') throw err('TransactionCommitted', `Transaction with { txnNumber: ${txn.txnNumber} } has been committed.`);
    if (txn.state === 'aborted') throw err('NoSuchTransaction', `Transaction with { txnNumber: ${txn.txnNumber} } has been aborted.`, undefined, ['TransientTransactionError']);
    this.abortTxn(session as Session, txn, 'abortTransaction');
    return { reply: { ok: 1 }, durable: null };
  }

  private txnForControl(body: Doc, session: Session | null): Transaction {
    if (!session || body.txnNumber === undefined) throw err('InvalidOptions', 'commitTransaction/abortTransaction need lsid and txnNumber');
    if (body.$db !== 'admin') throw err('BadValue', 'commitTransaction and abortTransaction may only be run against the admin database.');
    const n = Number(body.txnNumber);
    const txn = session.txn;
    if (!txn || txn.txnNumber !== n) {
      if (n < session.highestTxnNumber) throw err('TransactionTooOld', `txnNumber ${n} is less than last txnNumber ${session.highestTxnNumber} seen in session ${session.id}`);
      throw err('NoSuchTransaction', `Given transaction number ${n} does not match any in-progress transactions.`, undefined, ['TransientTransactionError']);
    }
    return txn;
  }

  private abortTxn(session: Session, txn: Transaction, why: string): void {
    if (txn.state !== 'active') return;
    txn.state = 'aborted';
    this.txnStats.totalAborted++;
    if (txn.timer) clearTimeout(txn.timer);
    this.store.rollback(txn.batch);
    this.gate.release(session.id);
    this.logger.info({ session: session.id, txnNumber: txn.txnNumber, why }, 'embedded mongo: transaction aborted');
  }

  private endSessions(ids: string[]): void {
    for (const id of ids) {
      const s = this.sessions.get(id);
      if (!s) continue;
      if (s.txn) this.abortTxn(s, s.txn, 'session ended');
      for (const c of [...s.cursors]) this.cursors.kill(c);
      this.sessions.delete(id);
    }
  }

  private sweepSessions(): void {
    const now = Date.now();
    const idle = [...this.sessions.values()].filter((s) => now - s.lastUse > SESSION_IDLE_MS).map((s) => s.id);
    this.endSessions(idle);
  }

  // ---- durability --------------------------------------------------------------------------

  private persist(ops: JournalOp[]): Promise<void> | null {
    if (!ops.length || !this.journal) return null;
    const done = this.journal.append(ops);
    if (this.journal.bytes > COMPACT_AT_BYTES && !this.compacting) void this.compact();
    return done.catch((e: unknown) => {
      throw err('InternalError', `journal write failed: ${(e as Error).message}`);
    });
  }

  /** Snapshot + fresh journal, at a moment no transaction is open (its writes are uncommitted). */
  compact(): Promise<void> {
    const journal = this.journal;
    if (!journal) return Promise.resolve();
    if (this.compacting) return this.compacting;
    const t0 = Date.now();
    this.compacting = this.gate
      .run('__compact', () => journal.compact(this.store))
      .then(() => this.logger.info({ ms: Date.now() - t0 }, 'embedded mongo: snapshot written'))
      .catch((e: unknown) => this.logger.error({ err: (e as Error).message }, 'embedded mongo: snapshot failed'))
      .finally(() => (this.compacting = null));
    return this.compacting;
  }

  // ---- TTL ---------------------------------------------------------------------------------

  private ttlIntervalMs: number;
  private ttlTimer: NodeJS.Timeout | null = null;

  private scheduleTtl(): void {
    if (this.ttlTimer) clearInterval(this.ttlTimer);
    if (this.closed) return;
    this.ttlTimer = setInterval(() => void this.expireTtl(), this.ttlIntervalMs).unref();
  }

  private async expireTtl(): Promise<void> {
    if (this.ttlRunning || this.closed) return;
    this.ttlRunning = true;
    try {
      const durable = await this.gate.run('__ttl', () => {
        const batch = new WriteBatch(false);
        const now = Date.now();
        for (const colls of this.store.dbs.values()) {
          for (const coll of colls.values()) {
            const rules: Array<[string, number]> = [];
            for (const idx of coll.indexes.values()) {
              if (idx.spec.expireAfterSeconds !== undefined) rules.push([idx.fields[0], idx.spec.expireAfterSeconds]);
            }
            const ts = coll.meta.options.timeseries as Doc | undefined;
            if (ts && typeof coll.meta.options.expireAfterSeconds === 'number') rules.push([String(ts.timeField), coll.meta.options.expireAfterSeconds]);
            if (!rules.length) continue;
            const expired: string[] = [];
            for (const [idKey, doc] of coll.docs) {
              for (const [field, secs] of rules) {
                // Arrays of dates expire on their earliest date; non-dates never expire.
                const dates = valuesAtPath(doc, field).filter((v): v is Date => v !== MISSING && v instanceof Date);
                if (dates.length && Math.min(...dates.map((d) => d.getTime())) + secs * 1000 <= now) {
                  expired.push(idKey);
                  break;
                }
              }
            }
            for (const idKey of expired) this.store.remove(coll, idKey, batch);
          }
        }
        return this.persist(batch.ops);
      });
      if (durable) await durable;
    } catch (e) {
      this.logger.error({ err: (e as Error).message }, 'embedded mongo: TTL pass failed');
    } finally {
      this.ttlRunning = false;
    }
  }

  // ---- shutdown ----------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    if (this.ttlTimer) clearInterval(this.ttlTimer);
    const tcp = this.tcp;
    const closedTcp = tcp ? new Promise<void>((r) => tcp.close(() => r())) : Promise.resolve();
    for (const s of this.sockets) s.destroy();
    await closedTcp;
    // Open transactions never committed: nothing of theirs may survive.
    for (const s of this.sessions.values()) if (s.txn) this.abortTxn(s, s.txn, 'server shutdown');
    if (this.journal && this.opts.dataDir) {
      if (this.compacting) await this.compacting;
      await this.compact();
      await this.journal.close();
      releaseLock(this.opts.dataDir);
    }
    this.logger.info({}, 'embedded mongo: closed');
  }
}

export async function startEmbeddedMongo(opts: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  const server = new EmbeddedMongoServer(opts, opts.logger ?? silent);
  let port: number;
  try {
    port = await server.start();
  } catch (e) {
    await server.close().catch(() => {});
    throw e;
  }
  const url = `mongodb://${server.info.me}/?directConnection=true`;
  opts.logger?.info({ url, dataDir: opts.dataDir }, 'embedded mongo: listening');
  return { url, port, close: () => server.close() };
}
