import { Client, credentials, Metadata, type ServiceDefinition } from '@grpc/grpc-js';
import type { Principal } from '@flix/auth';
import { unauthenticated } from '@flix/errors';
import { createLogger } from '@flix/logging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawMethod } from './raw-method.js';
import { GrpcServer, type CallContext } from '../src/index.js';

// A raw-bytes service that answers with what the handler saw of its caller.
const definition = { whoAmI: rawMethod('/test.Caller/WhoAmI'), open: rawMethod('/test.Caller/Open') } satisfies ServiceDefinition;

const principal = (subject: string): Principal => ({ subject, roles: [], scopes: [], isService: false, tokenId: 't', expiresAt: new Date(Date.now() + 60_000) });
const seen = (ctx: CallContext) =>
  Buffer.from(JSON.stringify({ principal: ctx.principal?.subject ?? null, caller: ctx.caller ? { subject: ctx.caller.principal.subject, accessToken: ctx.caller.accessToken } : null, same: ctx.principal === ctx.caller?.principal }));

let server: GrpcServer;
let client: Client;

beforeAll(async () => {
  const verifier = async (token: string) => (token.startsWith('good-') ? principal(token.slice(5)) : Promise.reject(unauthenticated('access token is invalid', 'TOKEN_INVALID')));
  server = new GrpcServer({ service: 'test', logger: createLogger('test', { level: 'silent' }), verifier });
  server.add(definition, { whoAmI: async (_req, ctx) => seen(ctx), open: async (_req, ctx) => seen(ctx) }, { name: 'test.Caller', publicMethods: ['open'] });
  const port = await server.start('127.0.0.1', 0);
  client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await server?.stop(100);
});

function invoke(path: string, authorization?: string): Promise<{ error: (Error & { code?: number }) | null; seen?: unknown }> {
  const md = new Metadata();
  if (authorization) md.set('authorization', authorization);
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), md, (error, value) =>
      resolve({ error, seen: value ? JSON.parse(value.toString()) : undefined }),
    );
  });
}

describe('the caller on the call context', () => {
  it('carries the verified principal and the bearer token it was verified from', async () => {
    const r = await invoke('/test.Caller/WhoAmI', 'Bearer good-alice');
    expect(r.error).toBeNull();
    expect(r.seen).toEqual({ principal: 'alice', caller: { subject: 'alice', accessToken: 'good-alice' }, same: true });
  });

  it('is absent on a public method called without a token', async () => {
    const r = await invoke('/test.Caller/Open');
    expect(r.seen).toEqual({ principal: null, caller: null, same: true });
  });

  it('is never built from a token that fails verification or a malformed header', async () => {
    expect((await invoke('/test.Caller/Open', 'Bearer bad')).error?.code).toBe(16);
    expect((await invoke('/test.Caller/Open', 'Basic abc')).error?.code).toBe(16);
    expect((await invoke('/test.Caller/WhoAmI')).error?.code).toBe(16);
  });
});
