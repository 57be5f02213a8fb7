import { Long, calculateObjectSize } from 'bson';
import { err } from './errors.js';
import type { Session } from './sessions.js';
import type { ReadView, Store, WriteBatch } from './storage/store.js';
import type { Doc } from './types.js';

export interface ServerInfo {
  /** host:port as announced in hello (`me`, `hosts`, `primary`). */
  me: string;
  startedAt: number;
  persistent: boolean;
  connections(): number;
  totalConnections(): number;
  /** Runtime parameters settable with setParameter, as on mongod; each setter returns the old value. */
  setTtlMonitorSleepSecs(seconds: number): number;
  ttlMonitorSleepSecs(): number;
  setTransactionLifetimeLimitSeconds(seconds: number): number;
  transactionLifetimeLimitSeconds(): number;
  /** serverStatus.transactions plus embedded-only lock details. */
  transactionStats(): Doc;
}

export interface ConnectionInfo {
  id: number;
  remote: string;
}

const IDLE_CURSOR_MS = 10 * 60_000;
/** Replies are capped like mongod's (16 MiB of documents per batch). */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const DEFAULT_FIRST_BATCH = 101;

interface CursorState {
  id: number;
  ns: string;
  docs: Doc[];
  pos: number;
  lastUsed: number;
  session: Session | null;
}

/** Open cursors. A cursor holds its result set (references to immutable documents). */
export class Cursors {
  private readonly map = new Map<number, CursorState>();
  private nextId = 1 + Math.floor(Math.random() * 1_000_000);

  get size(): number {
    return this.map.size;
  }

  /** Returns the `cursor` reply field with the first batch; registers the rest, if any. */
  open(ns: string, docs: Doc[], batchSize: number | undefined, singleBatch: boolean, session: Session | null): Doc {
    const first = takeBatch(docs, 0, batchSize ?? DEFAULT_FIRST_BATCH);
    let id = 0;
    if (!singleBatch && first.length < docs.length) {
      id = this.nextId++;
      this.map.set(id, { id, ns, docs, pos: first.length, lastUsed: Date.now(), session });
      session?.cursors.add(id);
    }
    return { firstBatch: first, id: Long.fromNumber(id), ns };
  }

  getMore(id: number, ns: string, batchSize: number | undefined): Doc {
    const c = this.map.get(id);
    if (!c) throw err('CursorNotFound', `cursor id ${id} not found`);
    if (c.ns !== ns) throw err('BadValue', `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${c.ns}`);
    const batch = takeBatch(c.docs, c.pos, batchSize && batchSize > 0 ? batchSize : Infinity);
    c.pos += batch.length;
    c.lastUsed = Date.now();
    let outId = id;
    if (c.pos >= c.docs.length) {
      this.kill(id);
      outId = 0;
    }
    return { nextBatch: batch, id: Long.fromNumber(outId), ns };
  }

  kill(id: number): boolean {
    const c = this.map.get(id);
    if (!c) return false;
    c.session?.cursors.delete(id);
    this.map.delete(id);
    return true;
  }

  sweep(now = Date.now()): void {
    for (const c of this.map.values()) if (now - c.lastUsed > IDLE_CURSOR_MS) this.kill(c.id);
  }
}

function takeBatch(docs: Doc[], from: number, n: number): Doc[] {
  const out: Doc[] = [];
  let bytes = 0;
  for (let i = from; i < docs.length && out.length < n; i++) {
    bytes += calculateObjectSize(docs[i]);
    if (bytes > MAX_BATCH_BYTES && out.length > 0) break;
    out.push(docs[i]);
  }
  return out;
}

export interface CommandContext {
  /** The command's $db. */
  db: string;
  store: Store;
  /** Where writes are recorded: the command's own batch, or the open transaction's. */
  batch: WriteBatch;
  inTxn: boolean;
  /** Set for reads that run while another session's transaction is open: its committed view. */
  view: ReadView | null;
  cursors: Cursors;
  session: Session | null;
  server: ServerInfo;
  conn: ConnectionInfo;
  sessions: {
    end(ids: string[]): void;
  };
}

export type Handler = (cmd: Doc, ctx: CommandContext) => Doc;

export interface CommandDef {
  handler: Handler;
  /** Fields accepted besides the generic ones; anything else fails like mongod's IDL parser. */
  fields?: readonly string[];
  /** Waits for the transaction lock (every command touching data). */
  gated: boolean;
  /** Replies are cached for retryable writes (lsid + txnNumber outside a transaction). */
  retryableWrite?: boolean;
  /** Allowed inside a multi-document transaction. */
  inTransaction?: boolean;
  /** Pure read: outside a transaction it need not wait for the lock (it reads the committed view). */
  readOnly?: boolean;
}
