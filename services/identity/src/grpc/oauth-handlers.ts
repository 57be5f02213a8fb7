import { DeviceAuthorizationState, type IdentityServiceService } from '@flix/proto/flix/identity/v1/identity_service';
import type { OAuthClient } from '@flix/proto/flix/identity/v1/resources';
import type { CallContext, ServiceHandlers } from '@flix/grpc';
import type { RequestMeta } from '../domain/model.js';
import type { AuthorizationRequest, OAuthAuthorizations } from '../domain/oauth-authorization.js';
import { describeScope, type OAuthApplication } from '../domain/oauth-clients.js';
import type { DeviceAuthorizations, DeviceAuthorizationView } from '../domain/oauth-device.js';

type Methods = 'previewAuthorization' | 'authorize' | 'getDeviceAuthorization' | 'approveDeviceAuthorization';

const meta = (ctx: CallContext): RequestMeta => ({ clientIp: ctx.clientIp, userAgent: ctx.userAgent });

const clientToProto = (app: OAuthApplication): OAuthClient => ({ clientId: app.id, displayName: app.displayName, firstParty: app.firstParty });
const scopesToProto = (names: string[]) => names.map((name) => ({ name, description: describeScope(name) }));

const STATE = {
  pending: DeviceAuthorizationState.DEVICE_AUTHORIZATION_STATE_PENDING,
  approved: DeviceAuthorizationState.DEVICE_AUTHORIZATION_STATE_APPROVED,
  denied: DeviceAuthorizationState.DEVICE_AUTHORIZATION_STATE_DENIED,
} as const;

function deviceToProto(v: DeviceAuthorizationView) {
  return { userCode: v.userCode, client: clientToProto(v.app), scopes: scopesToProto(v.scopes), state: STATE[v.state], expireTime: v.expiresAt };
}

function authorizationRequest(req: AuthorizationRequest): AuthorizationRequest {
  const { responseType, clientId, redirectUri, scope, state, codeChallenge, codeChallengeMethod } = req;
  return { responseType, clientId, redirectUri, scope, state, codeChallenge, codeChallengeMethod };
}

/** The gRPC face of OAuth 2.1 consent and device approval for the signed-in user (issue 14). */
export function oauthConsentHandlers(deps: { authorizations: OAuthAuthorizations; devices: DeviceAuthorizations }): Pick<ServiceHandlers<IdentityServiceService>, Methods> {
  const { authorizations, devices } = deps;
  return {
    async previewAuthorization(req, ctx) {
      const p = await authorizations.preview(ctx.principal, authorizationRequest(req));
      return { client: clientToProto(p.app), scopes: p.scopes, consentGiven: p.consentGiven };
    },
    async authorize(req, ctx) {
      return { redirectTo: await authorizations.authorize(ctx.principal, authorizationRequest(req), req.deny) };
    },
    async getDeviceAuthorization(req, ctx) {
      return deviceToProto(await devices.get(ctx.principal, req.userCode, meta(ctx)));
    },
    async approveDeviceAuthorization(req, ctx) {
      return deviceToProto(await devices.decide(ctx.principal, req.userCode, req.deny, meta(ctx)));
    },
  };
}
