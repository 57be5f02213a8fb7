/**
 * Stand-ins for the Flix services behind the real gateway-envoy/envoy.yaml: one grpc-js server
 * answering every transcoded RPC (an empty response, or a scripted failure) and recording the
 * metadata it received, a plain HTTP server that publishes a JWKS and echoes what it received,
 * and tokens signed for that JWKS as identity would sign them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyPack, DurationSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { rawGrpcMethod } from './upstream.js';

export interface SeenCall {
  path: string;
  metadata: Record<string, string>;
}

export interface FlixUpstreams {
  grpcPort: number;
  httpPort: number;
  /** Every gRPC call received, oldest first. */
  calls: SeenCall[];
  /** Methods (by name, e.g. "Login") that answer UNAVAILABLE with a RetryInfo of this many seconds. */
  unavailable: Map<string, number>;
  /** An access token for `sub`, as identity signs them (issuer flix-identity, audience flix-api). */
  token(sub: string): Promise<string>;
  /** Upstream address per cluster of the Envoy config. */
  upstreams(clusters: Iterable<string>): Record<string, string>;
  close(): Promise<void>;
}


/** `opts.grpcPort` binds the gRPC server to that port (a stand-in started again where one was stopped); 0 (default) picks one. */
export async function startFlixUpstreams(descriptorSet: Uint8Array, services: string[], opts: { grpcPort?: number } = {}): Promise<FlixUpstreams> {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
  const statusSchema = registry.getMessage('google.rpc.Status')!;
  const retryInfoSchema = registry.getMessage('google.rpc.RetryInfo')!;
  const calls: SeenCall[] = [];
  const unavailable = new Map<string, number>();

  const server = new grpc.Server();
  for (const name of services) {
    const service = registry.getService(name)!;
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const m of service.methods) {
      definition[m.name] = rawGrpcMethod(`/${service.typeName}/${m.name}`);
      handlers[m.name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const metadata: Record<string, string> = {};
        for (const [k, v] of Object.entries(call.metadata.getMap())) if (typeof v === 'string') metadata[k] = v;
        calls.push({ path: `/${service.typeName}/${m.name}`, metadata });
        const delay = unavailable.get(m.name);
        if (delay !== undefined) {
          const retryInfo = create(retryInfoSchema, { retryDelay: create(DurationSchema, { seconds: BigInt(delay) }) });
          const status = create(statusSchema, { code: 14, message: 'billing is catching up', details: [anyPack(retryInfoSchema, retryInfo)] });
          const trailers = new grpc.Metadata();
          trailers.set('grpc-status-details-bin', Buffer.from(toBinary(statusSchema, status)));
          callback({ code: grpc.status.UNAVAILABLE, details: 'billing is catching up', metadata: trailers });
          return;
        }
        callback(null, Buffer.alloc(0));
      };
    }
    server.addService(definition, handlers);
  }
  server.addService(
    {
      Check: rawGrpcMethod('/grpc.health.v1.Health/Check'),
    },
    { Check: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.from([0x08, 1])) },
  );
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${opts.grpcPort ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );

  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const httpServer = http.createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ headers: req.headers }));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const httpPort = (httpServer.address() as AddressInfo).port;

  return {
    grpcPort,
    httpPort,
    calls,
    unavailable,
    token: (sub) =>
      new SignJWT({ roles: ['viewer'] })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer('flix-identity')
        .setAudience('flix-api')
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey),
    upstreams: (clusters) => {
      const out: Record<string, string> = {};
      for (const c of clusters) {
        if (c.endsWith('_grpc')) out[c] = `127.0.0.1:${grpcPort}`;
        else if (c.endsWith('_http') || c === 'web') out[c] = `127.0.0.1:${httpPort}`;
      }
      return out;
    },
    close: async () => {
      server.forceShutdown();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
