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

/** Every event on the ENGAGEMENT stream whose payload mentions `needle` (e.g. a profile id), in stream order. */
export async function streamEvents(
  jsm: import('@flix/events').NatsClients['jsm'],
  needle: string,
): Promise<{ subject: string; data: Record<string, unknown>; msgId: string; type: string }[]> {
  const info = await jsm.streams.info('ENGAGEMENT');
  const out: { subject: string; data: Record<string, unknown>; msgId: string; type: string }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage('ENGAGEMENT', { seq }).catch(() => null);
    if (!m || !m.string().includes(needle)) continue;
    out.push({ subject: m.subject, data: JSON.parse(m.string()) as Record<string, unknown>, msgId: m.header?.get('Nats-Msg-Id') ?? '', type: m.header?.get('Flix-Event-Type') ?? '' });
  }
  return out;
}
