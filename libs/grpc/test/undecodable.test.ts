import { Client, credentials, Metadata, status as Code, type ServiceError } from '@grpc/grpc-js';
import { invalidArgument } from '@flix/errors';
import { createLogger } from '@flix/logging';
import { BillingServiceService, UpdatePlanRequest } from '@flix/proto/flix/billing/v1/billing_service';
import { Plan } from '@flix/proto/flix/billing/v1/resources';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawMethod } from './raw-method.js';
import { fromServiceError, GrpcServer, type ServiceHandlers } from '../src/index.js';

// The real billing definition and descriptor: the generated decoder reads int64 as a JS number.
let server: GrpcServer;
let client: Client;
const seen: unknown[] = [];

beforeAll(async () => {
  server = new GrpcServer({ service: 'test', logger: createLogger('test', { level: 'silent' }), verifier: async () => Promise.reject(new Error('no tokens')), descriptorSet: readDescriptorSet() });
  const handlers = new Proxy({}, { get: () => async (req: unknown) => { seen.push(req); return Plan.fromPartial({ id: 'p' }); } }) as ServiceHandlers<typeof BillingServiceService>;
  server.add(BillingServiceService, handlers, { name: 'flix.billing.v1.BillingService', publicMethods: Object.keys(BillingServiceService) as (keyof typeof BillingServiceService & string)[] });
  client = new Client(`127.0.0.1:${await server.start('127.0.0.1', 0)}`, credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await server?.stop(100);
});

function updatePlan(bytes: Buffer): Promise<ServiceError | null> {
  return new Promise((resolve) => {
    client.makeUnaryRequest('/flix.billing.v1.BillingService/UpdatePlan', (b: Buffer) => b, (b: Buffer) => b, bytes, new Metadata(), (err) => resolve(err));
  });
}

/** UpdatePlanRequest { plan { id, version } } written by hand, so version can exceed 2^53. */
function withVersion(version: bigint): Buffer {
  const plan = new BinaryWriter().uint32(10).string('basic');
  plan.uint32((15 << 3) | 0).int64(version); // Plan.version = 15, varint
  return Buffer.from(new BinaryWriter().uint32(10).bytes(plan.finish()).finish());
}

describe('a request the generated decoder refuses', () => {
  it('is INVALID_ARGUMENT naming the int64 field beyond 2^53, not INTERNAL, and the handler never sees it', async () => {
    const err = await updatePlan(withVersion(9_007_199_254_740_993n));
    expect(err?.code).toBe(Code.INVALID_ARGUMENT);
    const domain = fromServiceError(err!);
    expect(domain.fieldViolations.map((v) => v.field)).toEqual(['plan.version']);
    expect(seen).toEqual([]);
  });

  it('still decodes the same field within range', async () => {
    expect(await updatePlan(withVersion(7n))).toBeNull();
    expect(UpdatePlanRequest.fromPartial(seen[0] as object).plan?.version).toBe(7);
  });

  it('bytes that are no message at all are a MALFORMED_REQUEST INVALID_ARGUMENT', async () => {
    const err = await updatePlan(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(err?.code).toBe(Code.INVALID_ARGUMENT);
    expect(fromServiceError(err!).reason).toBe('MALFORMED_REQUEST');
  });
});

describe('an error message quoting a huge client value', () => {
  it('is cut so its trailers fit HTTP/2 limits and the caller gets the answer, not its deadline', async () => {
    const huge = 'x'.repeat(100_000);
    const quoting = new GrpcServer({ service: 'test', logger: createLogger('test', { level: 'silent' }), verifier: async () => Promise.reject(new Error('no tokens')) });
    const method = rawMethod('/test.Echo/Fail');
    quoting.add({ fail: method }, { fail: async () => Promise.reject(invalidArgument('genres', `unknown genre "${huge}"`)) }, { name: 'test.Echo', publicMethods: ['fail'] });
    const echo = new Client(`127.0.0.1:${await quoting.start('127.0.0.1', 0)}`, credentials.createInsecure());
    try {
      const started = Date.now();
      const err = await new Promise<ServiceError | null>((resolve) =>
        echo.makeUnaryRequest(method.path, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new Metadata(), { deadline: Date.now() + 5_000 }, (e) => resolve(e)),
      );
      expect(err?.code).toBe(Code.INVALID_ARGUMENT);
      expect(Date.now() - started).toBeLessThan(4_000);
      const domain = fromServiceError(err!);
      expect(domain.message.length).toBeLessThanOrEqual(1024);
      expect(domain.message).toMatch(/^genres: unknown genre "x+…$/);
      expect(domain.fieldViolations[0]?.field).toBe('genres');
    } finally {
      echo.close();
      await quoting.stop(100);
    }
  });
});
