/**
 * The authorization matrix: for every HTTP route of the descriptor, the answer expected for an
 * anonymous caller, the owning viewer (A), another account's viewer (B, using A's ids) and an
 * admin — and a check of every cell against the running system (real services, the local gateway
 * reading envoy.yaml, the Stripe and Mux emulators).
 *
 * The expectations are generated: what the gateway does comes from envoy.yaml (jwt_authn rules,
 * the RBAC admin policy) through contract-routes.ts; what the services enforce is the route's
 * ownership class below (public, the caller's own account, a resource A owns, admin) with the
 * few service-side rules written out. A route in the descriptor without a scenario here fails
 * the test, so the table cannot fall behind the contract.
 *
 * User A creates one of everything (profiles, a subscription and its payment, a rental, a rating
 * with a review, watchlist and favourites, playback sessions and history, refresh sessions);
 * B and the admin then try to read, change and delete each by id. None may leak (403/404 with a
 * bare google.rpc.Status, never A's data) and none may change: A's view of all of it is compared
 * before and after. The table is written to /tmp/issue13/docs/authz-matrix.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually as until } from '@flix/testkit';
import { type ContractRoute, contractRoutes, routeLabel, routePolicy } from '../support/contract-routes.js';
import { startJourneyStack, type JourneyStack } from '../support/journey-stack.js';
import { clientAddresses, rawRequest, type RawResponse } from '../support/raw-http.js';
import { statusProblems } from '../support/rpc-status.js';
import { ADMIN } from '../support/stack.js';

const MATRIX_MD = process.env.FLIX_AUTHZ_MATRIX_MD ?? '/tmp/issue13/docs/authz-matrix.md';

type Caller = 'anonymous' | 'viewer' | 'other' | 'admin';
const CALLERS: Caller[] = ['anonymous', 'viewer', 'other', 'admin'];

/**
 * ok: 2xx. own: answered about the caller's own account (2xx, or 400/404/409 about its own
 * state), never with A's data. refused: 403 or 404 with a bare Status. 401 / 403: exactly that.
 */
type Cell = 'ok' | 'own' | 'refused' | '401' | '403';

/** Who a route's data belongs to, which decides the service's answer to each caller. */
type Ownership =
  | 'public' // the catalog, plans, reviews: anyone
  | 'credential' // register, login, refresh: the body is the credential
  | 'self' // the caller's own account, no ids of anyone else's
  | 'owned' // names a resource of A's by id (path, profileId, session, rental…)
  | 'admin'; // operators only

interface Ctx {
  A: Account;
  B: Account;
  admin: Account;
  movies: { rated: string; listed: string; faved: string; watched: string; spare: string; rentable: string };
  adminMovie: string;
  planId: string;
  reviewId: string;
  /** A refresh token of A's, which B and the admin present to logout. */
  aRefreshToken: string;
}

interface Account {
  token: string;
  userId: string;
  email: string;
  password: string;
  profileId: string;
  /** A's second profile, deleted by A's own cell. */
  spareProfileId?: string;
  sessionId?: string;
  rentalId?: string;
  /** Ids of A's subscription and payments (read through lists only). */
  billingIds?: string[];
}

interface Req {
  path: string;
  body?: unknown;
}

interface Scenario {
  ownership: Ownership;
  /** The request as the caller sends it (most use A's ids whoever calls). */
  request(ctx: Ctx, caller: Caller): Req | Promise<Req>;
  /** What a service answers differently from the ownership class (the gateway part is derived). */
  service?: Partial<Record<Caller, Cell>>;
  /** Cells that change A's data run after every check of A's data: higher runs later. */
  order?: number;
  note?: string;
}

const urls = { successUrl: 'https://app.flix.test/ok', cancelUrl: 'https://app.flix.test/cancel' };
const me = (ctx: Ctx, c: Caller): Account => (c === 'admin' ? ctx.admin : c === 'other' ? ctx.B : ctx.A);
const q = (s: string) => encodeURIComponent(s);
/** The built-in web app's authorization request (its redirect URI is the gateway's /callback). */
const webAppAuthorization = () => ({
  responseType: 'code',
  clientId: 'flix-web',
  redirectUri: `${base}/callback`,
  scope: 'profile',
  state: 'matrix',
  codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  codeChallengeMethod: 'S256',
});

/** One scenario per route, keyed `VERB /template`. */
const SCENARIOS: Record<string, Scenario> = {
  // ------------------------------------------------------------------------------- identity
  'POST /v1/auth/register': {
    ownership: 'credential',
    request: (_c, who) => ({ path: '/v1/auth/register', body: { email: `matrix-${who}-${Date.now()}@example.com`, password: 'a-long-and-uncommon-passphrase', displayName: `New ${who}`, preferredLanguage: 'en' } }),
  },
  'POST /v1/auth/login': {
    ownership: 'credential',
    // Everyone logs in as themselves (anonymous as B): a token does not change what login does.
    request: (ctx, who) => ({ path: '/v1/auth/login', body: { email: (who === 'anonymous' ? ctx.B : me(ctx, who)).email, password: (who === 'anonymous' ? ctx.B : me(ctx, who)).password } }),
  },
  'POST /v1/auth/refresh': {
    ownership: 'credential',
    request: async (ctx, who) => ({ path: '/v1/auth/refresh', body: { refreshToken: await freshRefreshToken(who === 'anonymous' ? ctx.B : me(ctx, who)) } }),
  },
  'POST /v1/auth/logout': {
    ownership: 'self',
    // B and the admin present a refresh token of A's: it must not end A's session (A's sessions
    // are compared before and after); A ends one of A's own.
    request: async (ctx, who) => ({ path: '/v1/auth/logout', body: { refreshToken: who === 'viewer' ? await freshRefreshToken(ctx.A) : ctx.aRefreshToken } }),
    // Identity refuses a refresh token that is not the caller's as invalid; A's session stays.
    service: { other: '401', admin: '401' },
    note: 'B and admin send one of A’s refresh tokens: 401 (not theirs), A’s session stays',
  },
  'GET /v1/users/me': { ownership: 'self', request: () => ({ path: '/v1/users/me' }) },
  // Everyone's deletion stops at the confirmation (400 about their own account): nobody is deleted here.
  'POST /v1/users/me:delete': { ownership: 'self', request: (ctx, who) => ({ path: '/v1/users/me:delete', body: { currentPassword: me(ctx, who).password, confirmation: 'not the phrase' } }) },
  'GET /v1/users/me:export': { ownership: 'self', request: () => ({ path: '/v1/users/me:export' }) },
  // Recovery and verification links carry their own credential (the token): a made-up one is 400 for everyone.
  'POST /v1/auth/password:forgot': { ownership: 'credential', request: (_c, who) => ({ path: '/v1/auth/password:forgot', body: { email: `matrix-nobody-${who}@example.com` } }) },
  'POST /v1/auth/password:reset': {
    ownership: 'credential',
    request: () => ({ path: '/v1/auth/password:reset', body: { token: 'bm90LWEtcmVzZXQtdG9rZW4', newPassword: 'a-brand-new-uncommon-passphrase' } }),
    service: { anonymous: 'own', viewer: 'own', other: 'own', admin: 'own' },
    note: 'the e-mailed token is the credential: an unknown one is 400 whoever calls',
  },
  'POST /v1/auth/email:verify': {
    ownership: 'credential',
    request: () => ({ path: '/v1/auth/email:verify', body: { token: 'bm90LWEtdmVyaWZpY2F0aW9uLXRva2Vu' } }),
    service: { anonymous: 'own', viewer: 'own', other: 'own', admin: 'own' },
    note: 'the e-mailed token is the credential: an unknown one is 400 whoever calls',
  },
  // Each stops at the new value (400 about the caller's own account): no password or address changes here.
  'POST /v1/users/me/password:change': { ownership: 'self', request: (ctx, who) => ({ path: '/v1/users/me/password:change', body: { currentPassword: me(ctx, who).password, newPassword: 'short' } }) },
  'POST /v1/users/me/email:change': { ownership: 'self', request: (ctx, who) => ({ path: '/v1/users/me/email:change', body: { newEmail: 'not-an-address', currentPassword: me(ctx, who).password } }) },
  'POST /v1/users/me/email:sendVerification': { ownership: 'self', request: () => ({ path: '/v1/users/me/email:sendVerification', body: {} }) },
  'GET /v1/users/me/devices': { ownership: 'self', request: () => ({ path: '/v1/users/me/devices' }) },
  'DELETE /v1/users/me/devices/{device_id}': {
    ownership: 'owned',
    // A signs out a device signed in for this cell; B and the admin name A's existing one (which must stay).
    request: async (ctx, who) => {
      const refreshToken = who === 'viewer' ? await freshRefreshToken(ctx.A) : ctx.aRefreshToken;
      const list = await must('GET', { path: `/v1/users/me/devices?pageSize=100&refreshToken=${q(refreshToken)}` }, ctx.A.token);
      return { path: `/v1/users/me/devices/${(list.devices as { id: string; current?: boolean }[]).find((d) => d.current)!.id}` };
    },
    note: 'B and admin name a device of A’s: 404, and it stays signed in',
  },
  'PATCH /v1/users/me': { ownership: 'self', request: (_c, who) => ({ path: '/v1/users/me?updateMask=displayName', body: { displayName: `Renamed ${who}` } }), order: 1 },
  // OAuth consent and TV approval (the web app's /oauth/consent and /activate pages): the caller's own decisions.
  'POST /v1/oauth/authorizations:preview': { ownership: 'self', request: () => ({ path: '/v1/oauth/authorizations:preview', body: webAppAuthorization() }) },
  // A refusal: a redirect back to the app with access_denied; nothing is stored.
  'POST /v1/oauth/authorizations': { ownership: 'self', request: () => ({ path: '/v1/oauth/authorizations', body: { ...webAppAuthorization(), deny: true } }) },
  // A code no TV shows: 404 about the caller's own attempt (counted against that account's guesses).
  'GET /v1/oauth/device-authorizations/{user_code}': { ownership: 'self', request: () => ({ path: '/v1/oauth/device-authorizations/BBBB-BBBB' }) },
  'POST /v1/oauth/device-authorizations/{user_code}:approve': { ownership: 'self', request: () => ({ path: '/v1/oauth/device-authorizations/BBBB-BBBB:approve', body: {} }) },
  'GET /v1/users/me/profiles': { ownership: 'self', request: () => ({ path: '/v1/users/me/profiles' }) },
  'POST /v1/users/me/profiles': { ownership: 'self', request: (_c, who) => ({ path: '/v1/users/me/profiles', body: { name: `Matrix ${who}` } }) },
  'PATCH /v1/users/me/profiles/{profile.id}': {
    ownership: 'owned',
    request: (ctx) => ({ path: `/v1/users/me/profiles/${ctx.A.spareProfileId}?updateMask=name`, body: { name: 'Renamed spare' } }),
    order: 1,
  },
  'DELETE /v1/users/me/profiles/{profile_id}': { ownership: 'owned', request: (ctx) => ({ path: `/v1/users/me/profiles/${ctx.A.spareProfileId}` }), order: 2 },
  'GET /v1/admin/users': { ownership: 'admin', request: () => ({ path: '/v1/admin/users?pageSize=5' }) },
  'GET /v1/admin/users/{user_id}': { ownership: 'admin', request: (ctx) => ({ path: `/v1/admin/users/${ctx.A.userId}` }) },
  'GET /v1/admin/users/{user_id}/sessions': { ownership: 'admin', request: (ctx) => ({ path: `/v1/admin/users/${ctx.A.userId}/sessions` }) },
  'POST /v1/admin/users/{user_id}:setRoles': { ownership: 'admin', request: (ctx) => ({ path: `/v1/admin/users/${ctx.A.userId}:setRoles`, body: { roles: ['ROLE_VIEWER'] } }), note: 'A keeps the viewer role' },
  'POST /v1/admin/signing-keys:rotate': { ownership: 'admin', request: () => ({ path: '/v1/admin/signing-keys:rotate', body: {} }), order: 9 },
  // -------------------------------------------------------------------------------- catalog
  'GET /v1/movies': { ownership: 'public', request: () => ({ path: '/v1/movies?pageSize=3' }) },
  'GET /v1/movies:search': { ownership: 'public', request: () => ({ path: '/v1/movies:search?q=the' }) },
  'GET /v1/movies/{movie_id}': { ownership: 'public', request: (ctx) => ({ path: `/v1/movies/${ctx.movies.rated}` }) },
  'GET /v1/movies:batchGet': { ownership: 'public', request: (ctx) => ({ path: `/v1/movies:batchGet?movieIds=${ctx.movies.rated}&movieIds=${ctx.movies.listed}` }) },
  'GET /v1/genres': { ownership: 'public', request: () => ({ path: '/v1/genres' }) },
  'POST /v1/movies': {
    ownership: 'admin',
    request: () => ({ path: '/v1/movies', body: { title: `Matrix title ${Date.now()}`, genres: ['Drama'], releaseYear: 2025, runtimeMinutes: 90, maturityRating: 'MATURITY_RATING_PG', audioLanguages: ['en'], requiredPlan: 'PLAN_TIER_BASIC' } }),
  },
  'PATCH /v1/movies/{movie.id}': { ownership: 'admin', request: (ctx) => ({ path: `/v1/movies/${ctx.adminMovie}?updateMask=description`, body: { description: 'Edited by the matrix' } }) },
  'POST /v1/movies/{movie_id}:createUpload': { ownership: 'admin', request: (ctx) => ({ path: `/v1/movies/${ctx.adminMovie}:createUpload`, body: {} }), order: 1 },
  'POST /v1/movies/{movie_id}:publish': {
    ownership: 'admin',
    request: (ctx) => ({ path: `/v1/movies/${ctx.adminMovie}:publish`, body: {} }),
    // A title without ready video cannot be published: the admin passes the gateway and the check.
    service: { admin: 'own' },
    order: 2,
    note: 'admin: 400 (no ready video yet) is the catalog’s rule, past authorization',
  },
  'POST /v1/movies/{movie_id}:archive': { ownership: 'admin', request: (ctx) => ({ path: `/v1/movies/${ctx.adminMovie}:archive`, body: {} }), order: 3 },
  'DELETE /v1/movies/{movie_id}': { ownership: 'admin', request: (ctx) => ({ path: `/v1/movies/${ctx.adminMovie}` }), order: 4 },
  // -------------------------------------------------------------------------------- billing
  'GET /v1/plans': { ownership: 'public', request: () => ({ path: '/v1/plans' }) },
  'POST /v1/admin/plans': {
    ownership: 'admin',
    request: () => ({
      path: '/v1/admin/plans',
      body: { id: `matrix-${Date.now()}`, displayName: 'Matrix plan', tier: 'PLAN_TIER_BASIC', interval: 'BILLING_INTERVAL_MONTHLY', price: { amountMinor: '499', currency: 'USD' }, maxConcurrentStreams: 1, maxQuality: 'VIDEO_QUALITY_SD' },
    }),
  },
  'PATCH /v1/admin/plans/{plan.id}': { ownership: 'admin', request: (ctx) => ({ path: `/v1/admin/plans/${ctx.planId}?updateMask=displayName`, body: { displayName: 'Matrix plan, renamed' } }) },
  'POST /v1/admin/plans/{plan_id}:deactivate': { ownership: 'admin', request: (ctx) => ({ path: `/v1/admin/plans/${ctx.planId}:deactivate`, body: {} }), order: 1 },
  'GET /v1/admin/users/{user_id}/subscription': { ownership: 'admin', request: (ctx) => ({ path: `/v1/admin/users/${ctx.A.userId}/subscription` }) },
  'GET /v1/admin/users/{user_id}/payments': { ownership: 'admin', request: (ctx) => ({ path: `/v1/admin/users/${ctx.A.userId}/payments` }) },
  'POST /v1/checkout/sessions': { ownership: 'self', request: () => ({ path: '/v1/checkout/sessions', body: { planId: 'basic-monthly', ...urls } }) },
  'GET /v1/subscription': { ownership: 'self', request: () => ({ path: '/v1/subscription' }) },
  'POST /v1/subscription:cancel': { ownership: 'self', request: () => ({ path: '/v1/subscription:cancel', body: {} }), order: 3 },
  'POST /v1/subscription:resume': { ownership: 'self', request: () => ({ path: '/v1/subscription:resume', body: {} }), order: 4 },
  'POST /v1/subscription:changePlan': { ownership: 'self', request: () => ({ path: '/v1/subscription:changePlan', body: { planId: 'premium-monthly' } }), order: 5 },
  'POST /v1/subscription:portal': { ownership: 'self', request: () => ({ path: '/v1/subscription:portal', body: { returnUrl: urls.successUrl } }) },
  'GET /v1/payments': { ownership: 'self', request: () => ({ path: '/v1/payments' }) },
  'POST /v1/rentals': { ownership: 'self', request: (ctx) => ({ path: '/v1/rentals', body: { movieId: ctx.movies.spare, ...urls } }) },
  'GET /v1/rentals': { ownership: 'self', request: () => ({ path: '/v1/rentals' }) },
  'POST /v1/rentals/{rental_id}:return': { ownership: 'owned', request: (ctx) => ({ path: `/v1/rentals/${ctx.A.rentalId}:return`, body: {} }), order: 6 },
  'GET /v1/offers': { ownership: 'self', request: () => ({ path: '/v1/offers' }) },
  'GET /v1/entitlements/{movie_id}': { ownership: 'self', request: (ctx) => ({ path: `/v1/entitlements/${ctx.movies.rentable}` }) },
  // ------------------------------------------------------------------------------- playback
  'POST /v1/playback/sessions': { ownership: 'owned', request: (ctx) => ({ path: '/v1/playback/sessions', body: { movieId: ctx.movies.watched, profileId: ctx.A.profileId, deviceId: 'matrix-tablet' } }) },
  'POST /v1/playback/sessions/{session_id}:refreshTokens': { ownership: 'owned', request: (ctx) => ({ path: `/v1/playback/sessions/${ctx.A.sessionId}:refreshTokens`, body: {} }) },
  'POST /v1/playback/sessions/{session_id}:heartbeat': {
    ownership: 'owned',
    request: (ctx) => ({ path: `/v1/playback/sessions/${ctx.A.sessionId}:heartbeat`, body: { positionSeconds: 120, state: 'PLAYER_STATE_PLAYING', bitrateKbps: 3000, rebufferMs: 0 } }),
    order: 1,
  },
  'POST /v1/playback/sessions/{session_id}:stop': { ownership: 'owned', request: (ctx) => ({ path: `/v1/playback/sessions/${ctx.A.sessionId}:stop`, body: { positionSeconds: 130 } }), order: 2 },
  'GET /v1/playback/sessions/{session_id}': { ownership: 'owned', request: (ctx) => ({ path: `/v1/playback/sessions/${ctx.A.sessionId}` }) },
  'GET /v1/continue-watching': { ownership: 'owned', request: (ctx) => ({ path: `/v1/continue-watching?profileId=${q(ctx.A.profileId)}` }) },
  'GET /v1/watch-history': { ownership: 'owned', request: (ctx) => ({ path: `/v1/watch-history?profileId=${q(ctx.A.profileId)}` }) },
  'GET /v1/watch-history/{movie_id}': { ownership: 'owned', request: (ctx) => ({ path: `/v1/watch-history/${ctx.movies.watched}?profileId=${q(ctx.A.profileId)}` }) },
  'DELETE /v1/watch-history/{movie_id}': { ownership: 'owned', request: (ctx) => ({ path: `/v1/watch-history/${ctx.movies.watched}?profileId=${q(ctx.A.profileId)}` }), order: 3 },
  // ----------------------------------------------------------------------------- engagement
  'PUT /v1/movies/{movie_id}/rating': { ownership: 'owned', request: (ctx) => ({ path: `/v1/movies/${ctx.movies.rated}/rating`, body: { profileId: ctx.A.profileId, stars: 5, review: 'Even better the second time.' } }), order: 1 },
  'GET /v1/movies/{movie_id}/rating': {
    ownership: 'owned',
    request: (ctx) => ({ path: `/v1/movies/${ctx.movies.rated}/rating?profileId=${q(ctx.A.profileId)}` }),
    note: 'the gateway lets anonymous through (GET /v1/movies…); engagement asks for a token',
  },
  'DELETE /v1/movies/{movie_id}/rating': { ownership: 'owned', request: (ctx) => ({ path: `/v1/movies/${ctx.movies.rated}/rating?profileId=${q(ctx.A.profileId)}` }), order: 2 },
  'GET /v1/ratings': { ownership: 'owned', request: (ctx) => ({ path: `/v1/ratings?profileId=${q(ctx.A.profileId)}` }) },
  'GET /v1/movies/{movie_id}/reviews': { ownership: 'public', request: (ctx) => ({ path: `/v1/movies/${ctx.movies.rated}/reviews` }) },
  'GET /v1/admin/reviews': { ownership: 'admin', request: () => ({ path: '/v1/admin/reviews' }) },
  'POST /v1/admin/reviews/{review_id}:moderate': {
    ownership: 'admin',
    request: (ctx) => ({ path: `/v1/admin/reviews/${ctx.reviewId}:moderate`, body: { action: 'MODERATION_ACTION_FLAG', reason: 'matrix check' } }),
  },
  'GET /v1/watchlist': { ownership: 'owned', request: (ctx) => ({ path: `/v1/watchlist?profileId=${q(ctx.A.profileId)}` }) },
  'POST /v1/watchlist': { ownership: 'owned', request: (ctx) => ({ path: '/v1/watchlist', body: { profileId: ctx.A.profileId, movieId: ctx.movies.spare } }) },
  'DELETE /v1/watchlist/{movie_id}': { ownership: 'owned', request: (ctx) => ({ path: `/v1/watchlist/${ctx.movies.listed}?profileId=${q(ctx.A.profileId)}` }), order: 1 },
  'GET /v1/favourites': { ownership: 'owned', request: (ctx) => ({ path: `/v1/favourites?profileId=${q(ctx.A.profileId)}` }) },
  'POST /v1/favourites': { ownership: 'owned', request: (ctx) => ({ path: '/v1/favourites', body: { profileId: ctx.A.profileId, movieId: ctx.movies.spare } }) },
  'DELETE /v1/favourites/{movie_id}': { ownership: 'owned', request: (ctx) => ({ path: `/v1/favourites/${ctx.movies.faved}?profileId=${q(ctx.A.profileId)}` }), order: 1 },
  // ------------------------------------------------------------------------ recommendations
  'GET /v1/recommendations': { ownership: 'owned', request: (ctx) => ({ path: `/v1/recommendations?profileId=${q(ctx.A.profileId)}` }) },
  'GET /v1/movies/{movie_id}/similar': { ownership: 'public', request: (ctx) => ({ path: `/v1/movies/${ctx.movies.rated}/similar` }) },
  // ------------------------------------------------------------------------------ analytics
  'GET /v1/admin/analytics/summary': { ownership: 'admin', request: () => ({ path: `/v1/admin/analytics/summary?from=2026-01-01T00:00:00Z&to=${q(new Date(Date.now() + 86_400_000).toISOString())}` }) },
  'GET /v1/admin/streams': { ownership: 'admin', request: () => ({ path: '/v1/admin/streams' }) },
  'GET /v1/admin/streams/{stream}/consumers': { ownership: 'admin', request: () => ({ path: '/v1/admin/streams/BILLING/consumers' }) },
  'GET /v1/admin/dead-letters': { ownership: 'admin', request: () => ({ path: '/v1/admin/dead-letters' }) },
  // ---------------------------------------------------------------------------- notifications
  'GET /v1/users/me/notification-preferences': { ownership: 'self', request: () => ({ path: '/v1/users/me/notification-preferences' }) },
  'PATCH /v1/users/me/notification-preferences': {
    ownership: 'self',
    request: () => ({ path: '/v1/users/me/notification-preferences?updateMask=productNews', body: { productNews: true } }),
    order: 1,
  },
  'POST /v1/notifications:unsubscribe': {
    ownership: 'credential',
    // The signed token is the credential (no login); one it did not sign is a 400 for everyone.
    request: () => ({ path: '/v1/notifications:unsubscribe', body: { token: 'bm90LWEtc2lnbmVkLXRva2Vu' } }),
    service: { anonymous: 'own', viewer: 'own', other: 'own', admin: 'own' },
    note: 'the e-mailed token is the credential: an unsigned one is 400 whoever calls',
  },
  'GET /v1/admin/notifications/deliveries': { ownership: 'admin', request: (ctx) => ({ path: `/v1/admin/notifications/deliveries?userId=${ctx.A.userId}` }) },
  'POST /v1/admin/dead-letters/{sequence}:replay': {
    ownership: 'admin',
    request: () => ({ path: '/v1/admin/dead-letters/999999:replay', body: {} }),
    service: { admin: 'refused' },
    note: 'admin: 404, no such dead letter (the system has none)',
  },
  'POST /v1/admin/dead-letters/{sequence}:discard': {
    ownership: 'admin',
    request: () => ({ path: '/v1/admin/dead-letters/999999:discard', body: {} }),
    service: { admin: 'refused' },
    note: 'admin: 404, no such dead letter (the system has none)',
  },
};

// ------------------------------------------------------------------------------ expectations

/** The cell a caller should get: the gateway's decision first (envoy.yaml), then the service's. */
function expectedCell(route: ContractRoute, sc: Scenario, caller: Caller): Cell {
  const policy = routePolicy(route);
  if (caller === 'anonymous' && policy.token === 'required') return '401';
  if ((caller === 'viewer' || caller === 'other') && policy.adminOnly) return '403';
  const fromService = sc.service?.[caller];
  if (fromService) return fromService;
  switch (sc.ownership) {
    case 'public':
    case 'credential':
      return 'ok';
    case 'self':
      return caller === 'anonymous' ? '401' : 'own';
    case 'owned':
      return caller === 'anonymous' ? '401' : caller === 'viewer' ? 'ok' : 'refused';
    case 'admin':
      return caller === 'admin' ? 'ok' : caller === 'anonymous' ? '401' : '403';
  }
}

const CELL_TEXT: Record<Cell, string> = { ok: '2xx', own: 'own data', refused: '404/403', '401': '401', '403': '403' };

// ----------------------------------------------------------------------------------- running

let journey: JourneyStack;
let base: string;
const nextAddress = clientAddresses();
const ctx = {} as Ctx;
const routes = contractRoutes();
const mismatches: string[] = [];

async function send(method: string, req: Req, token?: string): Promise<RawResponse> {
  return rawRequest(base, {
    method,
    target: req.path,
    headers: { ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: req.body === undefined ? undefined : JSON.stringify(req.body),
    localAddress: nextAddress(),
  });
}

async function must(method: string, req: Req, token?: string): Promise<Record<string, any>> {
  const res = await send(method, req, token);
  expect(res.status, `${method} ${req.path}: ${res.text.slice(0, 300)}`).toBe(200);
  return res.json as Record<string, any>;
}

async function freshRefreshToken(a: Account): Promise<string> {
  return (await must('POST', { path: '/v1/auth/login', body: { email: a.email, password: a.password } })).refreshToken as string;
}

async function register(name: string): Promise<Account> {
  const email = `matrix-${name}-${Date.now()}@example.com`;
  const password = 'a-long-and-uncommon-passphrase';
  const reg = await must('POST', { path: '/v1/auth/register', body: { email, password, displayName: `Matrix ${name}`, preferredLanguage: 'en' } });
  const token = reg.accessToken as string;
  const profiles = await must('GET', { path: '/v1/users/me/profiles' }, token);
  return { token, userId: reg.user.id, email, password, profileId: profiles.profiles[0].id };
}

/** A's ids and personal data: none may appear in an answer to anyone else unless they sent it. */
function secretsOfA(): string[] {
  const a = ctx.A;
  return [a.userId, a.email, a.profileId, a.spareProfileId, a.sessionId, a.rentalId, ctx.aRefreshToken, ...(a.billingIds ?? [])].filter((x): x is string => !!x);
}

function callerToken(caller: Caller): string | undefined {
  return caller === 'anonymous' ? undefined : me(ctx, caller).token;
}

async function checkCell(route: ContractRoute, sc: Scenario, caller: Caller): Promise<void> {
  const want = expectedCell(route, sc, caller);
  const req = await sc.request(ctx, caller);
  const res = await send(route.verb, req, callerToken(caller));
  const where = `${caller} ${route.verb} ${req.path}`;
  const problems: string[] = [];
  const s = res.status;
  const fits =
    want === 'ok' ? s >= 200 && s < 300 : want === 'own' ? (s >= 200 && s < 300) || [400, 404, 409].includes(s) : want === 'refused' ? s === 403 || s === 404 : s === Number(want);
  if (!fits) problems.push(`answered ${s}, expected ${CELL_TEXT[want]}`);
  if (s >= 400) {
    const ct = res.headers['content-type'];
    problems.push(...statusProblems(s, res.json, Array.isArray(ct) ? ct[0] : ct));
    // A refusal carries nothing but the Status.
    const extra = res.json && typeof res.json === 'object' ? Object.keys(res.json).filter((k) => !['code', 'message', 'details'].includes(k)) : [];
    if (extra.length) problems.push(`error body has ${extra.join(', ')}`);
  }
  if (caller === 'anonymous' || caller === 'other') {
    const sentText = JSON.stringify(req);
    // (Operators may see who wrote what; the admin is not checked for A's ids.)
    const leaked = secretsOfA().filter((x) => res.text.includes(x) && !sentText.includes(x));
    if (leaked.length) problems.push(`answer holds A's ${leaked.map((x) => JSON.stringify(x.slice(0, 12))).join(', ')}`);
  }
  if (want === 'refused' && s >= 200 && s < 300) problems.push('A’s resource was served');
  if (problems.length) mismatches.push(`${where} → ${s} ${res.text.slice(0, 200)} :: ${problems.join('; ')}`);
}

/** Volatile fields (fresh signed URLs and tokens each read) are left out of A's view. */
function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!/token|url|expire/i.test(k)) out[k] = stable(x);
  return out;
}

/** Everything of A's, as A (and an operator) see it. */
async function viewOfA(): Promise<Record<string, unknown>> {
  const a = ctx.A;
  const pid = q(a.profileId);
  const reads: [string, string | undefined][] = [
    ['/v1/users/me', a.token],
    ['/v1/users/me/profiles', a.token],
    ['/v1/subscription', a.token],
    ['/v1/payments', a.token],
    ['/v1/rentals', a.token],
    [`/v1/watchlist?profileId=${pid}`, a.token],
    [`/v1/favourites?profileId=${pid}`, a.token],
    [`/v1/ratings?profileId=${pid}`, a.token],
    [`/v1/movies/${ctx.movies.rated}/rating?profileId=${pid}`, a.token],
    [`/v1/playback/sessions/${a.sessionId}`, a.token],
    [`/v1/watch-history?profileId=${pid}`, a.token],
    [`/v1/continue-watching?profileId=${pid}`, a.token],
    [`/v1/admin/users/${a.userId}/sessions`, ctx.admin.token],
    [`/v1/admin/users/${a.userId}`, ctx.admin.token],
  ];
  const out: Record<string, unknown> = {};
  for (const [path, token] of reads) {
    const res = await send('GET', { path }, token);
    out[path] = { status: res.status, body: stable(res.json) };
  }
  return out;
}

const scenarioOf = (r: ContractRoute): Scenario | undefined => SCENARIOS[routeLabel(r)];
const byOrder = (rs: ContractRoute[]) => [...rs].sort((x, y) => (scenarioOf(x)?.order ?? 0) - (scenarioOf(y)?.order ?? 0));

function markdownTable(): string {
  const rows = routes.map((r) => {
    const sc = scenarioOf(r)!;
    const p = routePolicy(r);
    const gate = `${p.token}${p.adminOnly ? ', admin (RBAC)' : ''}`;
    return `| \`${routeLabel(r)}\` | ${gate} | ${sc.ownership} | ${CALLERS.map((c) => CELL_TEXT[expectedCell(r, sc, c)]).join(' | ')} | ${sc.note ?? ''} |`;
  });
  return [
    '| route | gateway (JWT, RBAC) | data belongs to | anonymous | viewer (owner A) | another account’s viewer (B, A’s ids) | admin | note |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

beforeAll(async () => {
  journey = await startJourneyStack('authz');
  base = journey.stack.gatewayUrl;
  const adminLogin = await must('POST', { path: '/v1/auth/login', body: ADMIN });
  ctx.admin = { token: adminLogin.accessToken, userId: adminLogin.user?.id ?? '', email: ADMIN.email, password: ADMIN.password, profileId: '' };
  [ctx.A, ctx.B] = [await register('a'), await register('b')];
  const A = ctx.A;

  const list = (await must('GET', { path: '/v1/movies?pageSize=100' }, A.token)).movies as { id: string; requiredPlan: string; rentalPrice?: { amountMinor: string } }[];
  const playable = list.filter((m) => m.requiredPlan === 'PLAN_TIER_BASIC' || m.requiredPlan === 'PLAN_TIER_STANDARD');
  const rentable = list.find((m) => m.rentalPrice && Number(m.rentalPrice.amountMinor) > 0);
  expect(playable.length).toBeGreaterThanOrEqual(5);
  expect(rentable).toBeTruthy();
  const others = playable.filter((m) => m.id !== rentable!.id).map((m) => m.id);
  ctx.movies = { watched: others[0]!, rated: others[1]!, listed: others[2]!, faved: others[3]!, spare: others[4]!, rentable: rentable!.id };

  A.spareProfileId = (await must('POST', { path: '/v1/users/me/profiles', body: { name: 'Spare' } }, A.token)).id;
  // A subscription (Checkout paid at the emulator, webhooks through the gateway) and its payment.
  const checkout = await must('POST', { path: '/v1/checkout/sessions', body: { planId: 'standard-monthly', ...urls } }, A.token);
  await journey.stripe.pay(checkout.sessionId);
  await until(() => send('GET', { path: '/v1/subscription' }, A.token), (r) => (r.json as { status?: string })?.status === 'SUBSCRIPTION_STATUS_ACTIVE', 'A’s subscription');
  const payments = await until(() => send('GET', { path: '/v1/payments' }, A.token), (r) => ((r.json as { payments?: unknown[] })?.payments?.length ?? 0) >= 1, 'A’s payment');
  const subscription = (await must('GET', { path: '/v1/subscription' }, A.token)) as { id?: string };
  A.billingIds = [subscription.id, ...(payments.json as { payments: { id?: string }[] }).payments.map((p) => p.id)].filter((x): x is string => !!x && x.length >= 8);
  // A rental, paid.
  const rental = await must('POST', { path: '/v1/rentals', body: { movieId: ctx.movies.rentable, ...urls } }, A.token);
  A.rentalId = rental.rental.id;
  await journey.stripe.pay(rental.sessionId);
  await until(() => send('GET', { path: '/v1/rentals' }, A.token), (r) => (r.json as { rentals?: { id: string; status: string }[] })?.rentals?.some((x) => x.id === A.rentalId && x.status === 'RENTAL_STATUS_ACTIVE') ?? false, 'A’s rental');
  // A rating with a review, a watchlist entry, a favourite.
  await must('PUT', { path: `/v1/movies/${ctx.movies.rated}/rating`, body: { profileId: A.profileId, stars: 4, review: 'A careful, moving film.' } }, A.token);
  await must('POST', { path: '/v1/watchlist', body: { profileId: A.profileId, movieId: ctx.movies.listed } }, A.token);
  await must('POST', { path: '/v1/favourites', body: { profileId: A.profileId, movieId: ctx.movies.faved } }, A.token);
  // Playback: one session watched and stopped (history, continue watching), one still open.
  const first = await must('POST', { path: '/v1/playback/sessions', body: { movieId: ctx.movies.watched, profileId: A.profileId, deviceId: 'matrix-tv' } }, A.token);
  await must('POST', { path: `/v1/playback/sessions/${first.sessionId}:heartbeat`, body: { positionSeconds: 60, state: 'PLAYER_STATE_PLAYING', bitrateKbps: 3000, rebufferMs: 0 } }, A.token);
  await must('POST', { path: `/v1/playback/sessions/${first.sessionId}:stop`, body: { positionSeconds: 90 } }, A.token);
  await until(() => send('GET', { path: `/v1/watch-history/${ctx.movies.watched}?profileId=${q(A.profileId)}` }, A.token), (r) => r.status === 200, 'A’s history entry');
  A.sessionId = (await must('POST', { path: '/v1/playback/sessions', body: { movieId: ctx.movies.watched, profileId: A.profileId, deviceId: 'matrix-phone' } }, A.token)).sessionId;
  ctx.aRefreshToken = await freshRefreshToken(A);
  // What the admin routes act on: A's review, a title and a plan of the matrix's own.
  const reviews = await until(
    () => send('GET', { path: '/v1/admin/reviews' }, ctx.admin.token),
    (r) => ((r.json as { reviews?: { movieId: string }[] })?.reviews ?? []).some((x) => x.movieId === ctx.movies.rated),
    'A’s review in moderation',
  );
  ctx.reviewId = ((reviews.json as { reviews: { id: string; movieId: string }[] }).reviews.find((x) => x.movieId === ctx.movies.rated)!).id;
  ctx.adminMovie = (await must('POST', await SCENARIOS['POST /v1/movies']!.request(ctx, 'admin'), ctx.admin.token)).id;
  ctx.planId = (await must('POST', await SCENARIOS['POST /v1/admin/plans']!.request(ctx, 'admin'), ctx.admin.token)).id;
}, 180_000);

afterAll(async () => {
  await journey?.stop();
});

describe('authorization matrix', () => {
  it('has a scenario for every route of the descriptor, and admin-only routes are exactly the RBAC ones', () => {
    const missing = routes.filter((r) => !scenarioOf(r)).map(routeLabel);
    expect(missing, 'routes without a scenario').toEqual([]);
    const stale = Object.keys(SCENARIOS).filter((k) => !routes.some((r) => routeLabel(r) === k));
    expect(stale, 'scenarios for routes that no longer exist').toEqual([]);
    const drift = routes.filter((r) => (scenarioOf(r)!.ownership === 'admin') !== routePolicy(r).adminOnly).map(routeLabel);
    expect(drift, 'ownership "admin" and envoy.yaml RBAC disagree').toEqual([]);
    mkdirSync(dirname(MATRIX_MD), { recursive: true });
    writeFileSync(
      MATRIX_MD,
      `# Authorization matrix (generated by test/e2e/authorization-matrix.test.ts)\n\n` +
        `Cells: 2xx = served; own data = answered about the caller's own account (2xx, or 400/404/409 about its own state), never A's; ` +
        `404/403 = refused with a bare google.rpc.Status; 401/403 exactly. "another account's viewer" sends A's ids.\n\n${markdownTable()}\n`,
    );
  });

  it('anonymous callers and another account’s viewer neither read nor change anything of A’s', async () => {
    const before = await viewOfA();
    // Every read of A's data works, so "unchanged" compares real data.
    for (const [k, v] of Object.entries(before)) expect((v as { status: number }).status, `A's ${k}`).toBe(200);
    expect(ctx.A.billingIds?.length, 'A’s subscription and payment ids').toBeGreaterThanOrEqual(2);
    for (const r of byOrder(routes)) {
      const sc = scenarioOf(r)!;
      await checkCell(r, sc, 'anonymous');
      await checkCell(r, sc, 'other');
      // The admin, outside the admin tools, is one more account that does not own A's things.
      if (sc.ownership !== 'admin') await checkCell(r, sc, 'admin');
    }
    const after = await viewOfA();
    for (const k of Object.keys(before)) expect(after[k], `A's ${k} after the others' requests`).toEqual(before[k]);
    expect(mismatches, mismatches.join('\n')).toEqual([]);
  }, 120_000);

  it('admins use the admin routes', async () => {
    const start = mismatches.length;
    for (const r of byOrder(routes.filter((x) => scenarioOf(x)!.ownership === 'admin' && (scenarioOf(x)!.order ?? 0) < 9))) await checkCell(r, scenarioOf(r)!, 'admin');
    const mine = mismatches.slice(start);
    expect(mine, mine.join('\n')).toEqual([]);
  }, 60_000);

  it('the owner uses every route on their own data', async () => {
    const start = mismatches.length;
    for (const r of byOrder(routes.filter((x) => (scenarioOf(x)!.order ?? 0) < 9))) await checkCell(r, scenarioOf(r)!, 'viewer');
    // Last: rotating the signing key (it must not lock anyone out of what follows, but nothing does).
    for (const r of routes.filter((x) => (scenarioOf(x)!.order ?? 0) >= 9)) for (const c of ['viewer', 'admin'] as const) await checkCell(r, scenarioOf(r)!, c);
    const mine = mismatches.slice(start);
    expect(mine, mine.join('\n')).toEqual([]);
  }, 60_000);
});
