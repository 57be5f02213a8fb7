import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, port, serviceEnv } from './index.js';

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
