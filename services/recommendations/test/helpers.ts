import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DomainError } from '@flix/errors';
import type { Maturity, ProfileDirectory } from '@flix/profiles';

/** A JWKS served locally and tokens signed with it, standing in for identity. */
export async function startTestKeys(): Promise<{ jwksUrl: string; token(sub: string): Promise<string>; close(): Promise<void> }> {
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
    token: (sub) =>
      new SignJWT({ roles: [], scope: '' })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'test-key' })
        .setIssuer('flix-identity')
        .setAudience('flix-api')
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime('10m')
        .setJti(randomUUID())
        .sign(privateKey),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Identity's profile lookup as a double: profiles named `kid-…` are limited to PG, `x-…` do not exist. */
export const fakeProfiles: ProfileDirectory = {
  async maxMaturity(_token: string, profileId: string): Promise<Maturity> {
    if (profileId.startsWith('x-'))
      throw new DomainError('not_found', 'PROFILE_NOT_FOUND', `profileId: no profile ${profileId} on this account`, [{ field: 'profileId', description: 'not a profile of this account' }]);
    return profileId.startsWith('kid-') ? 'PG' : 'NC17';
  },
};

export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(v)?.slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
