import type { IdentityServiceService } from '@flix/proto/flix/identity/v1/identity_service';
import { DomainError } from '@flix/errors';
import type { ServiceHandlers } from '@flix/grpc';

type Methods = 'previewAuthorization' | 'authorize' | 'getDeviceAuthorization' | 'approveDeviceAuthorization';

const notYet = (): never => {
  throw new DomainError('failed_precondition', 'NOT_IMPLEMENTED', 'not available yet');
};

/** The gRPC face of OAuth 2.1 consent and device approval for the signed-in user (issue 14). */
export function oauthConsentHandlers(): Pick<ServiceHandlers<IdentityServiceService>, Methods> {
  return {
    previewAuthorization: notYet,
    authorize: notYet,
    getDeviceAuthorization: notYet,
    approveDeviceAuthorization: notYet,
  };
}
