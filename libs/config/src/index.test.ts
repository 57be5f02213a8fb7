import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, port, resilienceEnv, serviceEnv } from './index.js';

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    const cfg = loadConfig({ ...serviceEnv }, { MONGO_URL: 'mongodb://h:1', NATS_URL: 'nats://h:2', GRPC_PORT: '6000' });
    expect(cfg.GRPC_PORT).toBe(6000);
    expect(cfg.HTTP_PORT).toBe(8081);
  });

  it('names every missing or bad variable', () => {
    expect(() => loadConfig({ ...serviceEnv, X_PORT: port(1) }, { NATS_URL: 'http://nope', X_PORT: 'abc' })).toThrow(
      ConfigError,
    );
    try {
      loadConfig({ ...serviceEnv }, { NATS_URL: 'http://nope' });
    } catch (e) {
      expect((e as Error).message).toContain('MONGO_URL is required');
      expect((e as Error).message).toContain('NATS_URL is invalid');
    }
  });
});

describe('resilienceEnv', () => {
  it('defaults Idempotency-Key retention to 24 h and the lease to 60 s, and names a bad variable', () => {
    expect(loadConfig(resilienceEnv, {})).toMatchObject({ FLIX_IDEMPOTENCY_RETENTION_SECONDS: 86_400, FLIX_IDEMPOTENCY_LEASE_SECONDS: 60 });
    expect(loadConfig(resilienceEnv, { FLIX_IDEMPOTENCY_RETENTION_SECONDS: '3600' }).FLIX_IDEMPOTENCY_RETENTION_SECONDS).toBe(3600);
    expect(() => loadConfig(resilienceEnv, { FLIX_IDEMPOTENCY_LEASE_SECONDS: 'soon' })).toThrow(ConfigError);
    expect(() => loadConfig(resilienceEnv, { FLIX_IDEMPOTENCY_LEASE_SECONDS: 'soon' })).toThrow(/FLIX_IDEMPOTENCY_LEASE_SECONDS/);
  });
});
