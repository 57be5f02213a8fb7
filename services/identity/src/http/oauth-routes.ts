import { isDomainError, type DomainError } from '@flix/errors';
import type { HttpRequest, HttpResponse, HttpRoute } from '@flix/http';
import type { KeyRing } from '../security/key-ring.js';
import type { Sessions } from '../domain/sessions.js';
import type { OAuthAuthorizations } from '../domain/oauth-authorization.js';
import { OAUTH_SCOPES } from '../domain/oauth-clients.js';
import type { DeviceAuthorizations } from '../domain/oauth-device.js';
import { oauthError as oauthFailure, oauthErrorCode } from '../domain/oauth-errors.js';

/** RFC 8628 §3.4. */
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** RFC 6749 §5.2 error response. */
function oauthError(status: number, error: string, description: string, extra: Record<string, string> = {}): HttpResponse {
  return { status, headers: { ...NO_STORE, ...extra }, body: { error, error_description: description } };
}

function retryAfter(e: DomainError): Record<string, string> {
  return e.retryAfterSeconds ? { 'retry-after': String(Math.ceil(e.retryAfterSeconds)) } : {};
}

function fromDomain(e: DomainError): HttpResponse {
  const code = oauthErrorCode(e);
  if (code === 'invalid_client') return oauthError(401, code, e.message, { 'www-authenticate': 'Basic realm="flix"' });
  // slow_down tells the device its new interval too (RFC 8628 only says it grew by 5 s).
  if (code) return { status: 400, headers: NO_STORE, body: { error: code, error_description: e.message, ...(e.metadata.interval ? { interval: Number(e.metadata.interval) } : {}) } };
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

/**
 * The client of an application grant: HTTP Basic (a confidential client) or the form's
 * client_id, with client_secret when it sent one (RFC 6749 §2.3.1).
 */
function applicationOf(req: HttpRequest, form: URLSearchParams): { clientId: string; clientSecret: string | null } {
  const basic = clientCredentialsOf(req, new URLSearchParams());
  // Some libraries send a public client as Basic with an empty password: that is no secret.
  if (basic) return { clientId: basic.id, clientSecret: basic.secret || null };
  return { clientId: form.get('client_id') ?? '', clientSecret: form.get('client_secret') || null };
}

function formOf(req: HttpRequest): URLSearchParams | null {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded' ? new URLSearchParams(req.body.toString('utf8')) : null;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * An authorization request that cannot go back to the client (unknown client_id, unregistered
 * redirect_uri): shown to the person, never redirected (RFC 6749 §4.1.2.1).
 */
function authorizePage(req: HttpRequest, error: string, description: string): HttpResponse {
  if (String(req.headers.accept ?? '').includes('application/json')) return oauthError(400, error, description);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in request refused</title></head><body><h1>This sign-in request cannot be completed</h1><p>${escapeHtml(description)}</p><p>The application that sent you here is not set up correctly. Go back to it, or to <a href="/">Flix</a>.</p></body></html>`;
  return { status: 400, headers: { ...NO_STORE, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" }, body: html };
}

const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'] as const;

/** Plain-HTTP endpoints of identity: OAuth2 token endpoint, JWKS and OpenID discovery. */
export function oauthRoutes(deps: {
  sessions: Sessions;
  keys: KeyRing;
  issuer: string;
  publicUrl: string;
  authorizations: OAuthAuthorizations;
  devices: DeviceAuthorizations;
}): HttpRoute[] {
  const { sessions, keys, authorizations, devices } = deps;
  const base = deps.publicUrl.replace(/\/$/, '');
  return [
    {
      method: 'GET',
      path: '/oauth/authorize',
      async handle(req) {
        const q = req.query;
        const one = (name: string) => q.get(name) ?? '';
        // RFC 6749 §3.1: a parameter sent twice is an invalid request.
        const repeated = AUTHORIZE_PARAMS.filter((p) => q.getAll(p).length > 1);
        const request = {
          responseType: one('response_type'),
          clientId: one('client_id'),
          redirectUri: one('redirect_uri'),
          scope: one('scope'),
          state: one('state'),
          codeChallenge: one('code_challenge'),
          codeChallengeMethod: one('code_challenge_method'),
        };
        if (repeated.includes('client_id') || repeated.includes('redirect_uri'))
          return authorizePage(req, 'invalid_request', `${repeated.filter((p) => p === 'client_id' || p === 'redirect_uri').join(' and ')} must be sent once`);
        let redirectUri: string;
        try {
          redirectUri = authorizations.checkClient(request).redirectUri;
        } catch (e) {
          if (isDomainError(e)) return authorizePage(req, oauthErrorCode(e) ?? 'invalid_request', e.message);
          throw e;
        }
        try {
          if (repeated.length > 0) return redirect(authorizations.errorRedirect(redirectUri, q.getAll('state').length === 1 ? request.state : '', oauthFailure('invalid_request', `${repeated.join(', ')} must be sent once`)));
          authorizations.validate(request);
        } catch (e) {
          if (isDomainError(e)) return redirect(authorizations.errorRedirect(redirectUri, request.state, e));
          throw e;
        }
        // The web app's consent page signs the person in if needed and asks PreviewAuthorization.
        return redirect(`${base}/oauth/consent?${q.toString()}`);
      },
    },
    {
      method: 'POST',
      path: '/oauth/device_authorization',
      async handle(req) {
        const form = formOf(req);
        if (!form) return oauthError(400, 'invalid_request', 'content-type must be application/x-www-form-urlencoded');
        try {
          const started = await devices.start({ ...applicationOf(req, form), scope: form.get('scope') ?? '' });
          return {
            status: 200,
            headers: NO_STORE,
            body: {
              device_code: started.deviceCode,
              user_code: started.userCode,
              verification_uri: started.verificationUri,
              verification_uri_complete: started.verificationUriComplete,
              expires_in: started.expiresIn,
              interval: started.interval,
            },
          };
        } catch (e) {
          if (isDomainError(e)) return fromDomain(e);
          throw e;
        }
      },
    },
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
            case 'authorization_code': {
              const t = await authorizations.exchange(
                {
                  ...applicationOf(req, form),
                  code: form.get('code') ?? '',
                  redirectUri: form.get('redirect_uri') ?? '',
                  codeVerifier: form.get('code_verifier') ?? '',
                },
                meta,
              );
              return { status: 200, headers: NO_STORE, body: { ...tokenBody(t), scope: t.scope } };
            }
            case DEVICE_CODE_GRANT: {
              const t = await devices.poll({ ...applicationOf(req, form), deviceCode: form.get('device_code') ?? '' }, meta);
              return { status: 200, headers: NO_STORE, body: { ...tokenBody(t), scope: t.scope } };
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
        return {
          status: 200,
          headers: { 'cache-control': 'public, max-age=300' },
          body: {
            issuer: deps.issuer,
            jwks_uri: `${base}/.well-known/jwks.json`,
            authorization_endpoint: `${base}/oauth/authorize`,
            token_endpoint: `${base}/oauth/token`,
            device_authorization_endpoint: `${base}/oauth/device_authorization`,
            grant_types_supported: ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT, 'password', 'client_credentials'],
            // none: public clients (the apps, PKCE instead of a secret).
            token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
            response_types_supported: ['code'],
            response_modes_supported: ['query'],
            code_challenge_methods_supported: ['S256'],
            scopes_supported: Object.keys(OAUTH_SCOPES),
            authorization_response_iss_parameter_supported: true,
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['EdDSA'],
            claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'jti', 'roles', 'scope'],
          },
        };
      },
    },
  ];
}

function redirect(location: string): HttpResponse {
  return { status: 302, headers: { ...NO_STORE, location } };
}

function tokenBody(t: { accessToken: string; refreshToken: string; expiresIn: number; tokenType: string }) {
  return { access_token: t.accessToken, token_type: t.tokenType, expires_in: t.expiresIn, refresh_token: t.refreshToken };
}
