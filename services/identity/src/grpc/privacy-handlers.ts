import type { IdentityServiceService } from '@flix/proto/flix/identity/v1/identity_service';
import { DomainError } from '@flix/errors';
import type { ServiceHandlers } from '@flix/grpc';

type Methods = 'deleteAccount' | 'exportMyData';

const notYet = (): never => {
  throw new DomainError('failed_precondition', 'NOT_IMPLEMENTED', 'not available yet');
};

/** The gRPC face of account deletion and data export (issue 14). */
export function privacyHandlers(): Pick<ServiceHandlers<IdentityServiceService>, Methods> {
  return {
    deleteAccount: notYet,
    exportMyData: notYet,
  };
}
