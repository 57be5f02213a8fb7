import { Client, credentials, Metadata, type ServiceDefinition } from '@grpc/grpc-js';
import { notFound } from '@flix/errors';
import { createLogger } from '@flix/logging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawMethod } from './raw-method.js';
import { GrpcServer } from '../src/index.js';

// A raw-bytes service: the test is about headers, not messages.
const definition = { ok: rawMethod('/test.Headers/Ok'), fail: rawMethod('/test.Headers/Fail'), plain: rawMethod('/test.Headers/Plain'), bad: rawMethod('/test.Headers/Bad') } satisfies ServiceDefinition;

let server: GrpcServer;
let client: Client;

beforeAll(async () => {
  server = new GrpcServer({ service: 'test', logger: createLogger('test', { level: 'silent' }), verifier: async () => Promise.reject(new Error('no tokens here')) });
  server.add(
    definition,
    {
      async ok(_req, ctx) {
        ctx.setResponseHeader('Cache-Control', 'private');
        ctx.setResponseHeader('cache-control', 'no-store');
        ctx.setResponseHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
        return Buffer.from('ok');
      },
      async fail(_req, ctx) {
        ctx.setResponseHeader('set-cookie', 'a=; Max-Age=0');
        throw notFound('thing', 'x');
      },
      async plain() {
        return Buffer.from('plain');
      },
      async bad(_req, ctx) {
        ctx.setResponseHeader('grpc-status', '0');
        return Buffer.from('unreachable');
      },
    },
    { name: 'test.Headers', publicMethods: ['ok', 'fail', 'plain', 'bad'] },
  );
  const port = await server.start('127.0.0.1', 0);
  client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await server?.stop(100);
});

function invoke(path: string): Promise<{ headers: Metadata; error: (Error & { code?: number }) | null; value?: Buffer }> {
  return new Promise((resolve) => {
    let headers = new Metadata();
    const call = client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new Metadata(), (error, value) => resolve({ headers, error, value }));
    call.on('metadata', (md) => (headers = md));
  });
}

describe('response headers set by a handler', () => {
  it('go out as initial metadata with a successful answer; setting a name again replaces it; several set-cookie values stay apart', async () => {
    const { headers, error, value } = await invoke('/test.Headers/Ok');
    expect(error).toBeNull();
    expect(value?.toString()).toBe('ok');
    expect(headers.get('cache-control')).toEqual(['no-store']);
    expect(headers.get('set-cookie')).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  });

  it('go out with an error answer too', async () => {
    const { headers, error } = await invoke('/test.Headers/Fail');
    expect(error?.code).toBe(5);
    expect(headers.get('set-cookie')).toEqual(['a=; Max-Age=0']);
  });

  it('are absent when a handler sets none', async () => {
    const { headers, error } = await invoke('/test.Headers/Plain');
    expect(error).toBeNull();
    expect(headers.get('set-cookie')).toEqual([]);
  });

  it('may not be gRPC protocol headers (a programming error: INTERNAL)', async () => {
    const { error } = await invoke('/test.Headers/Bad');
    expect(error?.code).toBe(13);
  });
});
