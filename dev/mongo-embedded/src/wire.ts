/**
 * MongoDB wire protocol framing: OP_QUERY (legacy handshake) in, OP_REPLY out; OP_MSG both ways.
 * https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/
 */
import { deserialize, serialize } from 'bson';
import type { Doc } from './types.js';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;
export const OP_COMPRESSED = 2012;

export const MSG_CHECKSUM_PRESENT = 1;
export const MSG_MORE_TO_COME = 2;

export const MAX_MESSAGE_BYTES = 48_000_000;

/** Numbers arrive as JS numbers (int32/int64/double promoted), like the stored documents. */
export const DESERIALIZE = { promoteLongs: true, promoteValues: true, promoteBuffers: false } as const;

export interface Header {
  length: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

export type Request =
  | { kind: 'msg'; header: Header; flags: number; body: Doc }
  | { kind: 'query'; header: Header; collection: string; body: Doc };

export function readHeader(buf: Buffer): Header {
  return {
    length: buf.readInt32LE(0),
    requestId: buf.readInt32LE(4),
    responseTo: buf.readInt32LE(8),
    opCode: buf.readInt32LE(12),
  };
}

function readCString(buf: Buffer, off: number): [string, number] {
  const end = buf.indexOf(0, off);
  if (end < 0) throw new Error('unterminated cstring');
  return [buf.toString('utf8', off, end), end + 1];
}

function readDoc(buf: Buffer, off: number): [Doc, number] {
  const size = buf.readInt32LE(off);
  return [deserialize(buf.subarray(off, off + size), DESERIALIZE), off + size];
}

/** Parses one complete message (header included). Kind-1 sections become arrays on the body. */
export function parseMessage(msg: Buffer): Request {
  const header = readHeader(msg);
  if (header.opCode === OP_MSG) {
    const flags = msg.readUInt32LE(16);
    const end = flags & MSG_CHECKSUM_PRESENT ? msg.length - 4 : msg.length;
    let off = 20;
    let body: Doc | null = null;
    const sequences: Array<[string, Doc[]]> = [];
    while (off < end) {
      const kind = msg.readUInt8(off++);
      if (kind === 0) {
        [body, off] = readDoc(msg, off);
      } else if (kind === 1) {
        const size = msg.readInt32LE(off);
        const stop = off + size;
        let p = off + 4;
        let id: string;
        [id, p] = readCString(msg, p);
        const docs: Doc[] = [];
        while (p < stop) {
          let d: Doc;
          [d, p] = readDoc(msg, p);
          docs.push(d);
        }
        sequences.push([id, docs]);
        off = stop;
      } else {
        throw new Error(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (!body) throw new Error('OP_MSG without a body section');
    for (const [id, docs] of sequences) body[id] = docs;
    return { kind: 'msg', header, flags, body };
  }
  if (header.opCode === OP_QUERY) {
    let off = 20; // header + flags
    let collection: string;
    [collection, off] = readCString(msg, off);
    off += 8; // numberToSkip, numberToReturn
    const [query] = readDoc(msg, off);
    // Legacy wrappers: {$query: {...}, $readPreference: ...}
    const body = (query.$query && typeof query.$query === 'object' ? query.$query : query) as Doc;
    return { kind: 'query', header, collection, body };
  }
  throw new Error(`unsupported opCode ${header.opCode}`);
}

let nextRequestId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

export function encodeMsgReply(responseTo: number, doc: Doc): Buffer {
  const body = serialize(doc, { ignoreUndefined: true });
  const flags = Buffer.alloc(5); // flagBits (0) + section kind 0
  return Buffer.concat([header(16 + 5 + body.length, responseTo, OP_MSG), flags, body]);
}

export function encodeOpReply(responseTo: number, doc: Doc): Buffer {
  const body = serialize(doc, { ignoreUndefined: true });
  const fixed = Buffer.alloc(20); // responseFlags, cursorID (i64), startingFrom, numberReturned
  fixed.writeInt32LE(1, 16);
  return Buffer.concat([header(16 + 20 + body.length, responseTo, OP_REPLY), fixed, body]);
}
