import { isDomainError, type DomainError } from '@flix/errors';
import type { HttpRequest, HttpResponse, HttpRoute } from '@flix/http';
import type { KeyRing } from '../security/key-ring.js';
import type { Sessions } from '../domain/sessions.js';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** RFC 6749 §5.2 error response. */
function oauthError(status: number, error: string, description: string, extra: Record<string, string> = {}): HttpResponse {
  return { status, headers: { ...NO_STORE, ...extra }, body: { error, error_description: description } };
}

function retryAfter(e: DomainError): Record<string, string> {
  return e.retryAfterSeconds ? { 'retry-after': String(Math.ceil(e.retryAfterSeconds)) } : {};
}

function fromDomain(e: DomainError): HttpResponse {
  switch (e.reason) {
    case 'INVALID_CLIENT':
      return oauthError(401, 'invalid_client', e.message, { 'www-authenticate': 'Basic realm="flix"' });
    case 'INVALID_SCOPE':
      return oauthError(400, 'invalid_scope', e.message);
    case 'LOGIN_THROTTLED':
      return oauthError(429, 'slow_down', e.message, retryAfter(e));
  }
  if (e.kind === 'invalid_argument') return oauthError(400, 'invalid_request', e.message);
  if (e.kind === 'unauthenticated') return oauthError(400, 'invalid_grant', e.message);
  // Shed load (password hashing full): the client may come back after the given delay.
  if (e.kind === 'unavailable' && e.retryAfterSeconds) return oauthError(503, 'temporarily_unavailable', e.message, retryAfter(e));
  return oauthError(503, 'temporarily_unavailable', 'try again later');
}

/** Client authentication by HTTP Basic (preferred by RFC 6749 §2.3.1) or form fields. */
function clientCredentialsOf(req: HttpRequest, form: URLSearchParams): { id: string; secret: string } | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id && secret ? { id, secret } : null;
}

/** Plain-HTTP endpoints of identity: OAuth2 token endpoint, JWKS and OpenID discovery. */
export function oauthRoutes(deps: { sessions: Sessions; keys: KeyRing; issuer: string; publicUrl: string }): HttpRoute[] {
  const { sessions, keys } = deps;
  return [
    {
      method: 'POST',
      path: '/oauth/token',
      async handle(req) {
        const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'application/x-www-form-urlencoded')
          return oauthError(400, 'invalid_request', 'content-type must be application/x-www-form-urlencoded');
        const form = new URLSearchParams(req.body.toString('utf8'));
        const grant = form.get('grant_type');
        const meta = { clientIp: req.clientIp, userAgent: req.headers['user-agent'] };
        try {
          switch (grant) {
            case 'password': {
              const username = form.get('username');
              const password = form.get('password');
              if (!username || !password) return oauthError(400, 'invalid_request', 'username and password are required');
              const { tokens } = await sessions.login(username, password, meta);
              return { status: 200, headers: NO_STORE, body: tokenBody(tokens) };
            }
            case 'refresh_token': {
              const token = form.get('refresh_token');
              if (!token) return oauthError(400, 'invalid_request', 'refresh_token is required');
              return { status: 200, headers: NO_STORE, body: tokenBody(await sessions.refresh(token, meta)) };
            }
            case 'client_credentials': {
              const client = clientCredentialsOf(req, form);
              if (!client) return oauthError(401, 'invalid_client', 'client authentication required', { 'www-authenticate': 'Basic realm="flix"' });
              const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
              const t = await sessions.clientCredentials(client.id, client.secret, scopes);
              return { status: 200, headers: NO_STORE, body: { access_token: t.accessToken, token_type: 'Bearer', expires_in: t.expiresIn, scope: t.scope } };
            }
            case null:
              return oauthError(400, 'invalid_request', 'grant_type is required');
            default:
              return oauthError(400, 'unsupported_grant_type', `grant_type ${grant} is not supported`);
          }
        } catch (e) {
          if (isDomainError(e)) return fromDomain(e);
          throw e;
        }
      },
    },
    {
      method: 'GET',
      path: '/.well-known/jwks.json',
      async handle() {
        // Short cache: verifiers must see a new key soon after a rotation.
        return { status: 200, headers: { 'cache-control': 'public, max-age=60' }, body: keys.jwks() };
      },
    },
    {
      method: 'GET',
      path: '/.well-known/openid-configuration',
      async handle() {
        const base = deps.publicUrl.replace(/\/$/, '');
        return {
          status: 200,
          headers: { 'cache-control': 'public, max-age=300' },
          body: {
            issuer: deps.issuer,
            jwks_uri: `${base}/.well-known/jwks.json`,
            token_endpoint: `${base}/oauth/token`,
            grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
            token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
            response_types_supported: ['token'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['EdDSA'],
            claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'jti', 'roles', 'scope'],
          },
        };
      },
    },
  ];
}

function tokenBody(t: { accessToken: string; refreshToken: string; expiresIn: number; tokenType: string }) {
  return { access_token: t.accessToken, token_type: t.tokenType, expires_in: t.expiresIn, refresh_token: t.refreshToken };
}
