import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface TestKeys {
  jwksUrl: string;
  /** An access token as identity would sign it (issuer flix-identity, audience flix-api, 10 minutes). */
  token(sub: string, roles?: string[]): Promise<string>;
  close(): Promise<void>;
}

/** A JWKS served locally and tokens signed with it, standing in for identity in a service's own tests. */
export async function startTestKeys(): Promise<TestKeys> {
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
    token: (sub, roles = []) =>
      new SignJWT({ roles, scope: '' })
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
