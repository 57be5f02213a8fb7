import type { IdentityServiceService } from '@flix/proto/flix/identity/v1/identity_service';
import { unauthenticated } from '@flix/errors';
import type { ServiceHandlers, UnaryHandler } from '@flix/grpc';
import { jsonSafe, type ErasedUsers } from '@flix/service';
import type { AccountDeletion } from '../domain/account-deletion.js';
import type { DataExport } from '../domain/data-export.js';
import { clearedRefreshCookie, type RefreshCookiePolicy } from './refresh-cookie.js';

type Methods = 'deleteAccount' | 'exportMyData';

/** The gRPC face of account deletion and data export (issue 14). */
export function privacyHandlers(deps: { deletion: AccountDeletion; dataExport: DataExport; cookie: RefreshCookiePolicy }): Pick<ServiceHandlers<IdentityServiceService>, Methods> {
  const { deletion, dataExport, cookie } = deps;
  return {
    async deleteAccount(req, ctx) {
      const { deletedAt } = await deletion.delete(ctx.principal, { currentPassword: req.currentPassword, confirmation: req.confirmation }, { clientIp: ctx.clientIp, userAgent: ctx.userAgent });
      // The browser's refresh cookie names a token that no longer exists: stop it being sent.
      ctx.setResponseHeader('set-cookie', clearedRefreshCookie(cookie));
      ctx.setResponseHeader('cache-control', 'no-store');
      return { deleteTime: deletedAt };
    },
    async exportMyData(_req, ctx) {
      const archive = await dataExport.exportMine(ctx.caller);
      ctx.setResponseHeader('cache-control', 'no-store');
      return {
        userId: archive.userId,
        createTime: archive.createdAt,
        parts: archive.parts.map((p) => ({ service: p.service, data: jsonSafe(p.data) })),
      };
    },
  };
}

/**
 * Identity refuses a deleted account's access tokens at once (they stay cryptographically valid
 * for up to 15 minutes): every call made with one is UNAUTHENTICATED (ACCOUNT_DELETED), except
 * DeleteAccount itself, whose repeat answers the same success (see AccountDeletion).
 */
export function refuseDeletedAccounts<H extends Partial<ServiceHandlers<IdentityServiceService>>>(handlers: H, erased: ErasedUsers): H {
  const out: Record<string, UnaryHandler<unknown, unknown>> = {};
  for (const [name, handler] of Object.entries(handlers) as [string, UnaryHandler<unknown, unknown>][]) {
    out[name] =
      name === 'deleteAccount'
        ? handler
        : async (req, ctx) => {
            const p = ctx.principal;
            if (p && !p.isService && erased.isErased(p.subject)) throw unauthenticated('this account has been deleted; sign up again to use Flix', 'ACCOUNT_DELETED');
            return handler(req, ctx);
          };
  }
  return out as H;
}
