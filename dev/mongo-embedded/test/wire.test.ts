import { spawn } from 'node:child_process';
/**
 * Wire-protocol details the driver relies on but does not expose: the legacy OP_QUERY handshake,
 * fire-and-forget (moreToCome) messages, and retryable-write de-duplication. Embedded-only.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Long, UUID, deserialize, serialize, type Document } from 'bson';
import { MongoClient, MongoServerError } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src/index.js';
import { REAL_MONGO_URL } from './harness.js';

class RawClient {
  private buf = Buffer.alloc(0);
  private waiting = new Map<number, (d: Document) => void>();
  private nextId = 100;
  constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 16 && this.buf.length >= this.buf.readInt32LE(0)) {
        const len = this.buf.readInt32LE(0);
        const msg = this.buf.subarray(0, len);
        this.buf = this.buf.subarray(len);
        const responseTo = msg.readInt32LE(8);
        const opCode = msg.readInt32LE(12);
        // OP_REPLY: doc after 36 bytes; OP_MSG: flags(4) + kind byte.
        const doc = deserialize(msg.subarray(opCode === 1 ? 36 : 21));
        this.waiting.get(responseTo)?.(doc);
      }
    });
  }

  static async open(port: number): Promise<RawClient> {
    const sock = connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    return new RawClient(sock);
  }

  private header(len: number, id: number, op: number): Buffer {
    const h = Buffer.alloc(16);
    h.writeInt32LE(len, 0);
    h.writeInt32LE(id, 4);
    h.writeInt32LE(0, 8);
    h.writeInt32LE(op, 12);
    return h;
  }

  query(ns: string, q: Document): Promise<Document> {
    const id = this.nextId++;
    const body = Buffer.concat([Buffer.alloc(4), Buffer.from(`${ns}\0`), Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), serialize(q)]);
    this.sock.write(Buffer.concat([this.header(16 + body.length, id, 2004), body]));
    return new Promise((r) => this.waiting.set(id, r));
  }

  msg(doc: Document, moreToCome = false): Promise<Document> | null {
    const id = this.nextId++;
    const flags = Buffer.alloc(4);
    flags.writeUInt32LE(moreToCome ? 2 : 0);
    const body = Buffer.concat([flags, Buffer.from([0]), serialize(doc)]);
    this.sock.write(Buffer.concat([this.header(16 + body.length, id, 2013), body]));
    return moreToCome ? null : new Promise((r) => this.waiting.set(id, r));
  }

  close(): void {
    this.sock.destroy();
  }
}

describe.skipIf(REAL_MONGO_URL)('wire protocol', () => {
  let server: EmbeddedMongo;
  let raw: RawClient;
  beforeAll(async () => {
    server = await startEmbeddedMongo({ dataDir: null });
    raw = await RawClient.open(server.port);
  });
  afterAll(async () => {
    raw?.close();
    await server?.close();
  });

  it('answers the legacy OP_QUERY handshake as a replica-set primary', async () => {
    const hello = await raw.query('admin.$cmd', { ismaster: 1, helloOk: true, client: { driver: { name: 'raw' } }, compression: [] });
    expect(hello).toMatchObject({
      ok: 1,
      ismaster: true,
      isWritablePrimary: true,
      helloOk: true,
      setName: 'flix',
      hosts: [`127.0.0.1:${server.port}`],
      me: `127.0.0.1:${server.port}`,
      maxWireVersion: 21,
      logicalSessionTimeoutMinutes: 30,
    });
    expect(hello.compression).toBeUndefined();
  });

  it('sends no reply to a moreToCome message', async () => {
    expect(raw.msg({ endSessions: [{ id: new UUID() }], $db: 'admin' }, true)).toBeNull();
    // The next request on the same connection gets the next reply.
    expect(await raw.msg({ ping: 1, $db: 'admin' })).toEqual({ ok: 1 });
  });

  it('applies a retried write (same lsid and txnNumber) only once', async () => {
    const lsid = { id: new UUID() };
    const insert = { insert: 'retry', documents: [{ _id: 1, v: 'once' }], lsid, txnNumber: Long.fromNumber(1), $db: 'wire' };
    expect(await raw.msg(insert)).toEqual({ n: 1, ok: 1 });
    // The driver retries after a network error with the same txnNumber: no duplicate key error, no second write.
    expect(await raw.msg(insert)).toEqual({ n: 1, ok: 1 });
    const inc = { update: 'retry', updates: [{ q: { _id: 1 }, u: { $inc: { n: 1 } } }], lsid, txnNumber: Long.fromNumber(2), $db: 'wire' };
    await raw.msg(inc);
    await raw.msg(inc);
    const found = await raw.msg({ find: 'retry', filter: {}, $db: 'wire' });
    expect(found?.cursor.firstBatch).toEqual([{ _id: 1, v: 'once', n: 1 }]);
    const old = await raw.msg({ ...insert, documents: [{ _id: 2 }] });
    expect(old).toMatchObject({ ok: 0, codeName: 'TransactionTooOld' });
  });

  it('makes writes of other sessions wait while a transaction is open', async () => {
    const client = await new MongoClient(server.url).connect();
    try {
      const c = client.db('wire').collection('lock');
      await c.insertOne({ _id: 'x' as never, n: 0 });
      const session = client.startSession();
      session.startTransaction();
      await c.updateOne({ _id: 'x' as never }, { $inc: { n: 1 } }, { session });
      let outsideDone = false;
      const outside = c.updateOne({ _id: 'x' as never }, { $inc: { n: 10 } }).then(() => (outsideDone = true));
      // Wait until the outside write is queued behind the transaction lock.
      const admin = client.db('admin');
      while ((await admin.command({ serverStatus: 1 })).transactions.lockQueue < 1) await new Promise((r) => setImmediate(r));
      expect(outsideDone).toBe(false);
      // Reads do not queue: they see the committed state, without collections the transaction created.
      await client.db('wire').collection('created_in_txn').insertOne({ a: 1 }, { session });
      expect((await c.findOne({ _id: 'x' as never }))?.n).toBe(0);
      expect(await client.db('wire').listCollections({ name: 'created_in_txn' }).toArray()).toEqual([]);
      expect(await client.db('wire').collection('created_in_txn').countDocuments()).toBe(0);
      await session.commitTransaction();
      await session.endSession();
      await outside;
      // Serialized after the transaction: both increments applied.
      expect((await c.findOne({ _id: 'x' as never }))?.n).toBe(11);
      expect(await client.db('wire').collection('created_in_txn').countDocuments()).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('aborts the transaction of a client killed mid-way (its connection closes) so other writes go on', async () => {
    const client = await new MongoClient(server.url).connect();
    try {
      const c = client.db('wire').collection('killed');
      await c.insertOne({ _id: 'k' as never, n: 0 });
      // Another process opens a transaction, writes, says so, and is then SIGKILLed: no endSessions.
      const script = `
        import { MongoClient } from 'mongodb';
        const client = await new MongoClient(${JSON.stringify(server.url)}).connect();
        const session = client.startSession();
        session.startTransaction();
        await client.db('wire').collection('killed').updateOne({ _id: 'k' }, { $set: { n: 1 } }, { session });
        console.log('in transaction');
        setInterval(() => {}, 1000);`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('in transaction') && resolve());
        child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
      child.kill('SIGKILL');
      // With the lifetime at its 60 s default, this write would wait a minute behind the dead transaction.
      const started = Date.now();
      await c.updateOne({ _id: 'k' as never }, { $inc: { n: 10 } }, { timeoutMS: 10_000 });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await c.findOne({ _id: 'k' as never }))?.n).toBe(10); // the killed client's write rolled back
    } finally {
      await client.close();
    }
  });

  it('aborts a transaction that outlives transactionLifetimeLimitSeconds and frees the lock', async () => {
    const client = await new MongoClient(server.url).connect();
    const admin = client.db('admin');
    await admin.command({ setParameter: 1, transactionLifetimeLimitSeconds: 1 });
    try {
      const c = client.db('wire').collection('lifetime');
      await c.insertOne({ _id: 'k' as never, n: 0 });
      const aborted = (await admin.command({ serverStatus: 1 })).transactions.totalAborted as number;
      const session = client.startSession();
      session.startTransaction();
      await c.updateOne({ _id: 'k' as never }, { $set: { n: 1 } }, { session });
      // An outside write queues behind the transaction until the server gives up on it.
      const outside = c.updateOne({ _id: 'k' as never }, { $inc: { n: 10 } });
      const deadline = Date.now() + 20_000;
      while ((await admin.command({ serverStatus: 1 })).transactions.totalAborted === aborted) {
        if (Date.now() > deadline) throw new Error('transaction was never aborted');
        await new Promise((r) => setTimeout(r, 50));
      }
      await outside;
      const e = await session.commitTransaction().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(MongoServerError);
      expect((e as MongoServerError).code).toBe(251); // NoSuchTransaction
      expect((e as MongoServerError).hasErrorLabel('TransientTransactionError')).toBe(true);
      await session.endSession();
      expect((await c.findOne({ _id: 'k' as never }))?.n).toBe(10);
    } finally {
      await admin.command({ setParameter: 1, transactionLifetimeLimitSeconds: 60 });
      await client.close();
    }
  });
});
