import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { expect, it } from 'vitest';
import { startNats } from './nats.js';

it.skipIf(Boolean(process.env.NATS_URL))('starts a private JetStream server that is gone after stop()', async () => {
  const nats = await startNats();
  expect(nats.url).not.toContain(':4222');
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'T', subjects: ['t.>'] });
  expect((await jsm.streams.info('T')).config.name).toBe('T');
  await nc.close();
  await nats.stop();
  await expect(connect({ servers: nats.url, reconnect: false, timeout: 500 })).rejects.toThrow();
});
