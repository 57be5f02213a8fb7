/**
 * The conformance suite's upstreams: a real grpc-js server implementing gwtest.v1.EchoService
 * generically from the descriptor set (plus grpc.health.v1.Health), and a plain HTTP server that
 * publishes the JWKS and plays the OAuth/well-known endpoints.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  create,
  createFileRegistry,
  type DescMessage,
  fromBinary,
  fromJson,
  type JsonValue,
  type Registry,
  toBinary,
  toJson,
} from '@bufbuild/protobuf';
import { anyPack, FileDescriptorSetSchema, StructSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export const CODES: Record<string, number> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

/** 3 MiB, so the proxy has to stream it. */
export const BIG_SIZE = 3 * 1024 * 1024;

export function bigBody(): Buffer {
  const b = Buffer.alloc(BIG_SIZE);
  for (let i = 0; i < b.length; i++) b[i] = i % 251;
  return b;
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface GrpcUpstream {
  port: number;
  setServing(serving: boolean): void;
  close(): Promise<void>;
}

/** A unary method passing bytes through untouched: the test servers decode with the registry themselves. */
export const rawGrpcMethod = (path: string): grpc.MethodDefinition<Buffer, Buffer> => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
});

/** Every EchoService RPC answers with what it received; Fail fails as asked. */
export async function startGrpcUpstream(descriptor: Uint8Array): Promise<GrpcUpstream> {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptor));
  const service = registry.getService('gwtest.v1.EchoService')!;
  const msg = (name: string) => registry.getMessage(name)!;
  const echoSchema = msg('gwtest.v1.Echo');
  let serving = false;

  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const m of service.methods) {
    definition[m.name] = rawGrpcMethod(`/${service.typeName}/${m.name}`);
    handlers[m.name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const request = fromBinary(m.input, call.request);
      const requestJson = toJson(m.input, request, { registry }) as Record<string, JsonValue>;
      const initial = new grpc.Metadata();
      initial.set('x-upstream', 'gwtest');
      call.sendMetadata(initial);
      if (m.name === 'Fail') {
        callback(failure(registry, requestJson));
        return;
      }
      if (m.name === 'Download') {
        const out = fromJson(m.output, { file: { contentType: 'text/csv', data: Buffer.from('a,b\n1,2\n').toString('base64') } });
        callback(null, Buffer.from(toBinary(m.output, out)));
        return;
      }
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(call.metadata.getMap())) if (typeof v === 'string') metadata[k] = v;
      const book = (requestJson.firstBook ?? requestJson.book ?? {}) as JsonValue;
      const echo = fromJson(echoSchema, {
        rpc: m.name,
        request: requestJson,
        metadata,
        book,
        hasDeadline: call.getDeadline() !== Infinity,
      } as JsonValue, { registry });
      callback(null, Buffer.from(toBinary(echoSchema, echo)));
    };
  }

  const server = new grpc.Server();
  server.addService(definition, handlers);
  server.addService(
    {
      Check: rawGrpcMethod('/grpc.health.v1.Health/Check'),
    },
    {
      Check: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
        // HealthCheckResponse { status: SERVING (1) | NOT_SERVING (2) }
        callback(null, Buffer.from([0x08, serving ? 1 : 2])),
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    setServing: (s) => {
      serving = s;
    },
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

function failure(registry: Registry, req: Record<string, JsonValue>): grpc.ServiceError {
  const code = CODES[String(req.code)] ?? 2;
  const message = String(req.message ?? '');
  const metadata = new grpc.Metadata();
  if (req.withDetails) {
    const schema = (name: string): DescMessage => registry.getMessage(name)!;
    const details = [
      anyPack(schema('google.rpc.ErrorInfo'), fromJson(schema('google.rpc.ErrorInfo'), { reason: 'BOOK_INVALID', domain: 'gwtest.example', metadata: { field: 'title' } })),
      anyPack(
        schema('google.rpc.BadRequest'),
        fromJson(schema('google.rpc.BadRequest'), { fieldViolations: [{ field: 'title', description: 'must not be empty' }] }),
      ),
      anyPack(schema('google.rpc.RetryInfo'), fromJson(schema('google.rpc.RetryInfo'), { retryDelay: '1.500s' })),
    ];
    const status = create(schema('google.rpc.Status'), { code, message, details } as never);
    metadata.set('grpc-status-details-bin', Buffer.from(toBinary(schema('google.rpc.Status'), status)));
  }
  return Object.assign(new Error(message), { code, details: message, metadata });
}

// ------------------------------------------------------------------------------- JWT + HTTP

export interface Keys {
  jwks: { keys: JWK[] };
  sign(claims: Record<string, unknown>, opts?: { kid?: string; other?: boolean }): Promise<string>;
  valid(extra?: Record<string, unknown>): Promise<string>;
}

export const ISSUER = 'flix-identity';
export const AUDIENCE = 'flix-api';

export async function makeKeys(): Promise<Keys> {
  const main = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const other = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = { ...(await exportJWK(main.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  const sign = async (claims: Record<string, unknown>, opts: { kid?: string; other?: boolean } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: opts.kid ?? 'k1', typ: 'JWT' })
      .sign(opts.other ? other.privateKey : main.privateKey);
  const now = () => Math.floor(Date.now() / 1000);
  return {
    jwks: { keys: [publicJwk] },
    sign,
    valid: (extra = {}) => sign({ iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: now(), exp: now() + 600, ...extra }),
  };
}

export interface HttpUpstream {
  port: number;
  close(): Promise<void>;
}

/** JWKS, an OAuth-like echo endpoint and a large download, as identity's plain-HTTP port. */
export async function startHttpUpstream(keys: Keys): Promise<HttpUpstream> {
  const big = bigBody();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (path === '/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(keys.jwks));
      } else if (path.startsWith('/oauth/')) {
        res.writeHead(201, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(
          JSON.stringify({
            method: req.method,
            path,
            contentType: req.headers['content-type'],
            body: Buffer.concat(chunks).toString('utf8'),
            xForwardedFor: req.headers['x-forwarded-for'],
            xRequestId: req.headers['x-request-id'],
            host: req.headers.host,
          }),
        );
      } else if (path === '/.well-known/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        // Written in pieces so it really streams through the proxy.
        let offset = 0;
        const pump = () => {
          while (offset < big.length) {
            const piece = big.subarray(offset, offset + 64 * 1024);
            offset += piece.length;
            if (!res.write(piece)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no such thing upstream');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export { StructSchema };
