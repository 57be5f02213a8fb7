import { EventHeaders, encodeEvent, publishEvent, type EventDef, type EventInit, type FlixEventMessage, type NatsClients } from '@flix/events';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

/** A JWKS served locally and tokens signed with it, standing in for identity. */
export async function startTestKeys(): Promise<{ jwksUrl: string; token(sub: string, roles?: string[]): Promise<string>; close(): Promise<void> }> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'EdDSA', use: 'sig' };
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    token: (sub, roles = []) => sign(privateKey, sub, roles),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const sign = (key: CryptoKey, sub: string, roles: string[]) =>
  new SignJWT({ roles, scope: '' })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'test-key' })
    .setIssuer('flix-identity')
    .setAudience('flix-api')
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('10m')
    .setJti(randomUUID())
    .sign(key);

export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 8_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(v)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}
/** Publishes an event as its producer would. */
export async function emit<T extends FlixEventMessage>(nats: NatsClients, def: EventDef<T>, input: EventInit<T>): Promise<T> {
  return (await publishEvent(nats.js, def, input)).event;
}

/**
 * Publishes the same event again under a new stream message (as a producer retrying after its
 * publish ack was lost beyond JetStream's duplicate window would): the consumer sees it twice.
 */
export async function emitAgain<T extends FlixEventMessage>(nats: NatsClients, def: EventDef<T>, event: T): Promise<void> {
  const h = natsHeaders();
  h.set(EventHeaders.EventType, def.type);
  await nats.js.publish(def.subject, encodeEvent(def, event), { headers: h, msgID: `${event.eventId}:again:${Math.random()}` });
}

/** True when every `analytics` consumer has nothing pending and nothing unacknowledged. */
export async function consumersIdle(nats: NatsClients): Promise<boolean> {
  for (const stream of ['IDENTITY', 'CATALOG', 'BILLING', 'PLAYBACK', 'ENGAGEMENT', 'DLQ']) {
    const info = await nats.jsm.consumers.info(stream, 'analytics').catch(() => null);
    if (!info || info.num_pending > 0 || info.num_ack_pending > 0) return false;
  }
  return true;
}
