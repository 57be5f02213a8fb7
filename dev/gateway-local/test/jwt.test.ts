/**
 * Token checks beyond the EdDSA keys the conformance suite uses: RS256 and ES256 signatures,
 * the not-before clock skew, and JWKS parsing.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseJwks, parseJwt, verifySignature } from '../src/filters/jwt.js';

async function keyAndToken(alg: 'RS256' | 'ES256' | 'EdDSA') {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: `${alg}-key`, alg };
  const token = await new SignJWT({ iss: 'flix-identity' }).setProtectedHeader({ alg, kid: jwk.kid }).sign(pair.privateKey);
  return { jwks: parseJwks(JSON.stringify({ keys: [jwk] })), token };
}

describe('JWT verification', () => {
  it.each(['RS256', 'ES256', 'EdDSA'] as const)('verifies %s signatures and refuses tampered ones', async (alg) => {
    const { jwks, token } = await keyAndToken(alg);
    if (typeof jwks === 'string') throw new Error(jwks);
    const jwt = parseJwt(token);
    if (typeof jwt === 'string') throw new Error(jwt);
    expect(verifySignature(jwt, jwks)).toBe('Ok');
    const [h, , s] = token.split('.');
    const forged = parseJwt(`${h}.${Buffer.from(JSON.stringify({ iss: 'flix-identity', admin: true })).toString('base64url')}.${s}`);
    if (typeof forged === 'string') throw new Error(forged);
    expect(verifySignature(forged, jwks)).toBe('JwtVerificationFail');
  });

  it('does not use a key published for another algorithm', async () => {
    const rsa = await keyAndToken('RS256');
    const ec = await keyAndToken('ES256');
    if (typeof rsa.jwks === 'string') throw new Error(rsa.jwks);
    const jwt = parseJwt(ec.token);
    if (typeof jwt === 'string') throw new Error(jwt);
    expect(verifySignature(jwt, rsa.jwks)).toBe('JwksKidAlgMismatch');
  });

  it('reports malformed claims with the JWT library wording', () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(parseJwt(`${b64({ alg: 'EdDSA' })}.${b64({ exp: 'soon' })}.c2ln`)).toBe('JwtPayloadParseErrorExpNotInteger');
    expect(parseJwt(`${b64({ alg: 'EdDSA' })}.${b64({ aud: 5 })}.c2ln`)).toBe('JwtPayloadParseErrorAudNotString');
    expect(parseJwt(`${b64({ typ: 'JWT' })}.${b64({})}.c2ln`)).toBe('JwtHeaderBadAlg');
    expect(parseJwt(`%%%.${b64({})}.c2ln`)).toBe('JwtHeaderParseErrorBadBase64');
  });

  it('parses JWKS the way Envoy does: bad keys are skipped, a set without good keys fails', () => {
    expect(parseJwks('not json')).toBe('JwksParseError');
    expect(parseJwks('{}')).toBe('JwksNoKeys');
    expect(parseJwks('{"keys": {}}')).toBe('JwksBadKeys');
    expect(parseJwks('{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "short"}]}')).toBe('JwksNoValidKeys');
  });
});
