import type { IdentityServiceService } from '@flix/proto/flix/identity/v1/identity_service';
import { DomainError } from '@flix/errors';
import type { ServiceHandlers } from '@flix/grpc';

type Methods = 'requestPasswordReset' | 'resetPassword' | 'changePassword' | 'verifyEmail' | 'sendVerificationEmail' | 'changeEmail' | 'listDevices' | 'signOutDevice';

const notYet = (): never => {
  throw new DomainError('failed_precondition', 'NOT_IMPLEMENTED', 'not available yet');
};

/** The gRPC face of forgot/reset/change password, e-mail verification and devices (issue 14). */
export function accountHandlers(): Pick<ServiceHandlers<IdentityServiceService>, Methods> {
  return {
    requestPasswordReset: notYet,
    resetPassword: notYet,
    changePassword: notYet,
    verifyEmail: notYet,
    sendVerificationEmail: notYet,
    changeEmail: notYet,
    listDevices: notYet,
    signOutDevice: notYet,
  };
}
