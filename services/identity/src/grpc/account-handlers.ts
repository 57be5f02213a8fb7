import type { IdentityServiceService } from '@flix/proto/flix/identity/v1/identity_service';
import type { Device } from '@flix/proto/flix/identity/v1/resources';
import { invalidArgument } from '@flix/errors';
import type { CallContext, ServiceHandlers } from '@flix/grpc';
import { decodePageToken, encodePageToken, pageSize } from '@flix/mongo';
import type { AccountSecurity } from '../domain/account-security.js';
import { coarseNetwork, deviceName, type DeviceRecord } from '../domain/devices.js';
import type { RequestMeta } from '../domain/model.js';
import { userToProto } from './mappers.js';
import { refreshTokenFromCookies } from './refresh-cookie.js';

type Methods = 'requestPasswordReset' | 'resetPassword' | 'changePassword' | 'verifyEmail' | 'sendVerificationEmail' | 'changeEmail' | 'listDevices' | 'signOutDevice';

const meta = (ctx: CallContext): RequestMeta => ({ clientIp: ctx.clientIp, userAgent: ctx.userAgent });

/**
 * The refresh-token family the caller's access token was issued with (its `sid` claim). The
 * token was verified by the server before the handler runs, so its payload can be read as is;
 * tokens issued before the claim existed have none.
 */
function sessionIdOf(ctx: CallContext): string | undefined {
  const token = ctx.caller?.accessToken;
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const sid = claims && typeof claims === 'object' ? (claims as Record<string, unknown>).sid : undefined;
    return typeof sid === 'string' && sid !== '' ? sid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which device is calling: the refresh token in the body, else the `flix_refresh` cookie (sent
 * only to /v1/auth/*, so browsers rarely bring it here), else the access token's `sid`.
 */
function thisDevice(ctx: CallContext, refreshToken: string): { refreshToken?: string; sessionId?: string } {
  return { refreshToken: refreshToken || refreshTokenFromCookies(ctx.metadata), sessionId: sessionIdOf(ctx) };
}

function deviceToProto(d: DeviceRecord, currentId: string | null): Device {
  return {
    id: d.id,
    name: deviceName(d.userAgent),
    userAgent: d.userAgent,
    approximateLocation: coarseNetwork(d.clientIp),
    createTime: d.createdAt,
    lastUseTime: d.lastUsedAt,
    current: d.id === currentId,
  };
}

/** The gRPC face of forgot/reset/change password, e-mail verification and devices (issue 14). */
export function accountHandlers(deps: { security: AccountSecurity }): Pick<ServiceHandlers<IdentityServiceService>, Methods> {
  const { security } = deps;
  return {
    async requestPasswordReset(req, ctx) {
      await security.requestPasswordReset(req.email, meta(ctx));
      return {};
    },
    async resetPassword(req, ctx) {
      ctx.setResponseHeader('cache-control', 'no-store');
      return security.resetPassword(req.token, req.newPassword);
    },
    async changePassword(req, ctx) {
      return security.changePassword(ctx.principal, { currentPassword: req.currentPassword, newPassword: req.newPassword, thisDevice: thisDevice(ctx, req.refreshToken) }, meta(ctx));
    },
    async verifyEmail(req) {
      return userToProto(await security.verifyEmail(req.token));
    },
    async sendVerificationEmail(_req, ctx) {
      await security.sendVerificationEmail(ctx.principal);
      return {};
    },
    async changeEmail(req, ctx) {
      return userToProto(await security.changeEmail(ctx.principal, { newEmail: req.newEmail, currentPassword: req.currentPassword }, meta(ctx)));
    },
    async listDevices(req, ctx) {
      const limit = pageSize(req.pageSize, 20, 100);
      const token = decodePageToken(req.pageToken);
      if (token && (typeof token.u !== 'number' || typeof token.d !== 'string')) throw invalidArgument('pageToken', 'not a token this API returned', 'INVALID_PAGE_TOKEN');
      const after = token ? { lastUsedAt: new Date(Number(token.u)), id: String(token.d) } : undefined;
      const { devices, currentId } = await security.listDevices(ctx.principal, { limit: limit + 1, after, thisDevice: thisDevice(ctx, req.refreshToken) });
      const page = devices.slice(0, limit);
      const last = page[page.length - 1];
      ctx.setResponseHeader('cache-control', 'no-store');
      return {
        devices: page.map((d) => deviceToProto(d, currentId)),
        nextPageToken: devices.length > limit && last ? encodePageToken({ u: last.lastUsedAt.getTime(), d: last.id }) : '',
      };
    },
    async signOutDevice(req, ctx) {
      await security.signOutDevice(ctx.principal, req.deviceId);
      return {};
    },
  };
}
