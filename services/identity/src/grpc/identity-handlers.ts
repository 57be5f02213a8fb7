import { RefreshTokenDelivery, type IdentityServiceService } from '@flix/proto/flix/identity/v1/identity_service';
import { requireAdmin, requireUser } from '@flix/auth';
import { invalidArgument, isDomainError, unauthenticated } from '@flix/errors';
import type { CallContext, ServiceHandlers } from '@flix/grpc';
import { decodePageToken, encodePageToken, pageSize } from '@flix/mongo';
import type { Accounts } from '../domain/accounts.js';
import type { KeyRing } from '../security/key-ring.js';
import type { RequestMeta } from '../domain/model.js';
import type { Sessions } from '../domain/sessions.js';
import type { accountHandlers } from './account-handlers.js';
import type { oauthConsentHandlers } from './oauth-handlers.js';
import type { privacyHandlers } from './privacy-handlers.js';
import { maskToFields, maturityFromProto, profileToProto, roleFromProto, sessionToProto, userDetailToProto, userToProto } from './mappers.js';
import { clearedRefreshCookie, refreshCookie, refreshTokenFromCookies, type RefreshCookiePolicy } from './refresh-cookie.js';

const meta = (ctx: CallContext): RequestMeta => ({ clientIp: ctx.clientIp, userAgent: ctx.userAgent });

/**
 * Puts the refresh token where the client asked: left in the body, or moved into an httpOnly
 * cookie (the body's copy emptied, so page scripts never see it). A cookie-carrying answer must
 * not be stored by any cache.
 */
function deliver<T extends { refreshToken: string }>(ctx: CallContext, cookie: RefreshCookiePolicy, delivery: RefreshTokenDelivery, tokens: T): T {
  if (delivery !== RefreshTokenDelivery.REFRESH_TOKEN_DELIVERY_COOKIE) return tokens;
  ctx.setResponseHeader('set-cookie', refreshCookie(tokens.refreshToken, cookie));
  ctx.setResponseHeader('cache-control', 'no-store');
  return { ...tokens, refreshToken: '' };
}

type OwnMethods = Exclude<keyof IdentityServiceService, keyof ReturnType<typeof accountHandlers> | keyof ReturnType<typeof oauthConsentHandlers> | keyof ReturnType<typeof privacyHandlers>>;

/** The gRPC face of identity's accounts, sessions and profiles: translate messages, call the domain, translate back. */
export function identityHandlers(deps: { accounts: Accounts; sessions: Sessions; keys: KeyRing; cookie: RefreshCookiePolicy }): Pick<ServiceHandlers<IdentityServiceService>, OwnMethods> {
  const { accounts, sessions, keys, cookie } = deps;
  return {
    async register(req, ctx) {
      const { user, tokens } = await accounts.register(req, meta(ctx));
      return { user: userToProto(user), ...deliver(ctx, cookie, req.refreshTokenDelivery, tokens) };
    },
    async login(req, ctx) {
      const { user, tokens } = await sessions.login(req.email, req.password, meta(ctx));
      return { user: userToProto(user), ...deliver(ctx, cookie, req.refreshTokenDelivery, tokens) };
    },
    async refresh(req, ctx) {
      // A token in the body wins; the cookie is the browser's way of sending it.
      const fromCookie = req.refreshToken === '' ? refreshTokenFromCookies(ctx.metadata) : undefined;
      const token = req.refreshToken || fromCookie;
      if (!token) {
        throw unauthenticated('no refresh token: send {"refreshToken": "…"} or the flix_refresh cookie; sign in again if it has expired', 'REFRESH_TOKEN_MISSING');
      }
      // A cookie session stays a cookie session unless the client says otherwise.
      const delivery = req.refreshTokenDelivery !== RefreshTokenDelivery.REFRESH_TOKEN_DELIVERY_UNSPECIFIED
        ? req.refreshTokenDelivery
        : fromCookie ? RefreshTokenDelivery.REFRESH_TOKEN_DELIVERY_COOKIE : RefreshTokenDelivery.REFRESH_TOKEN_DELIVERY_BODY;
      try {
        return deliver(ctx, cookie, delivery, await sessions.refresh(token, meta(ctx)));
      } catch (err) {
        // A refused cookie (spent, revoked, expired) will never work again: stop the browser sending it.
        if (fromCookie && isDomainError(err) && err.kind === 'unauthenticated') ctx.setResponseHeader('set-cookie', clearedRefreshCookie(cookie));
        throw err;
      }
    },
    async logout(req, ctx) {
      // Set first so that it goes out even when the logout fails: this device is signing out either way.
      ctx.setResponseHeader('set-cookie', clearedRefreshCookie(cookie));
      ctx.setResponseHeader('cache-control', 'no-store');
      const token = req.refreshToken || refreshTokenFromCookies(ctx.metadata) || '';
      const revokedSessions = await sessions.logout(requireUser(ctx.principal), token, req.allSessions);
      return { revokedSessions };
    },
    async getMe(_req, ctx) {
      return userToProto(await accounts.me(ctx.principal));
    },
    async updateMe(req, ctx) {
      const u = req.user;
      const mask = maskToFields(req.updateMask);
      // Without a mask, proto3 cannot tell "absent" from "empty": only non-empty values count.
      const patch = mask.length > 0
        ? { displayName: u?.displayName ?? '', preferredLanguage: u?.preferredLanguage ?? '', favouriteGenres: u?.favouriteGenres ?? [] }
        : { displayName: u?.displayName || undefined, preferredLanguage: u?.preferredLanguage || undefined, favouriteGenres: u?.favouriteGenres.length ? u.favouriteGenres : undefined };
      return userToProto(await accounts.updateMe(ctx.principal, patch, mask));
    },
    async listProfiles(req, ctx) {
      const user = await accounts.me(ctx.principal);
      const size = pageSize(req.pageSize, 10, 10);
      const start = Number(decodePageToken(req.pageToken)?.o ?? 0);
      const page = user.profiles.slice(start, start + size);
      const more = start + size < user.profiles.length;
      return { profiles: page.map(profileToProto), nextPageToken: more ? encodePageToken({ o: start + size }) : '' };
    },
    async createProfile(req, ctx) {
      const p = req.profile;
      const created = await accounts.createProfile(ctx.principal, {
        name: p?.name ?? '',
        kids: p?.kids ?? false,
        maxMaturity: p ? maturityFromProto(p.maxMaturity) : undefined,
        avatarUrl: p?.avatarUrl ?? '',
      });
      return profileToProto(created);
    },
    async updateProfile(req, ctx) {
      const p = req.profile;
      const mask = maskToFields(req.updateMask);
      const input = mask.length > 0
        ? { name: p?.name ?? '', kids: p?.kids ?? false, maxMaturity: p ? maturityFromProto(p.maxMaturity) : undefined, avatarUrl: p?.avatarUrl ?? '' }
        : { name: p?.name || undefined, kids: p?.kids || undefined, maxMaturity: p ? maturityFromProto(p.maxMaturity) : undefined, avatarUrl: p?.avatarUrl || undefined };
      return profileToProto(await accounts.updateProfile(ctx.principal, p?.id ?? '', input, mask));
    },
    async deleteProfile(req, ctx) {
      await accounts.deleteProfile(ctx.principal, req.profileId);
      return {};
    },
    async listUsers(req, ctx) {
      const limit = pageSize(req.pageSize, 20, 100);
      const token = decodePageToken(req.pageToken);
      const after = token ? { createdAt: new Date(Number(token.c)), id: String(token.i) } : undefined;
      const { users, total } = await accounts.listUsers(ctx.principal, { limit: limit + 1, after, emailPrefix: req.emailPrefix });
      const page = users.slice(0, limit);
      const last = page[page.length - 1];
      return {
        users: page.map(userToProto),
        nextPageToken: users.length > limit && last ? encodePageToken({ c: last.createdAt.getTime(), i: last.id }) : '',
        totalSize: total,
      };
    },
    async getUser(req, ctx) {
      return userDetailToProto(await accounts.getUser(ctx.principal, req.userId));
    },
    async listUserSessions(req, ctx) {
      const limit = pageSize(req.pageSize, 20, 100);
      const token = decodePageToken(req.pageToken);
      if (token && (typeof token.c !== 'number' || typeof token.f !== 'string')) throw invalidArgument('pageToken', 'not a token this API returned', 'INVALID_PAGE_TOKEN');
      const after = token ? { createdAt: new Date(Number(token.c)), familyId: String(token.f) } : undefined;
      const found = await sessions.listForUser(ctx.principal, req.userId, { limit: limit + 1, after });
      const page = found.slice(0, limit);
      const last = page[page.length - 1];
      return {
        sessions: page.map(sessionToProto),
        nextPageToken: found.length > limit && last ? encodePageToken({ c: last.createdAt.getTime(), f: last.familyId }) : '',
      };
    },
    async setUserRoles(req, ctx) {
      return userToProto(await accounts.setRoles(ctx.principal, req.userId, req.roles.map(roleFromProto)));
    },
    async rotateSigningKey(_req, ctx) {
      requireAdmin(ctx.principal);
      const { kid, activatesAt } = await keys.rotate();
      return { kid, activateTime: activatesAt };
    },
  };
}
