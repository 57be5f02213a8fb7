import { DomainError } from '@flix/errors';
import type { Maturity } from '@flix/profiles/maturity';
import type { ProfileDirectory } from '../src/domain/ports.js';

export { eventually, startTestKeys } from '@flix/testkit';

/** Identity's profile lookup as a double: profiles named `kid-…` are limited to PG, `x-…` do not exist. */
export const fakeProfiles: ProfileDirectory = {
  async maxMaturity(_token: string, profileId: string): Promise<Maturity> {
    if (profileId.startsWith('x-'))
      throw new DomainError('not_found', 'PROFILE_NOT_FOUND', `profileId: no profile ${profileId} on this account`, [{ field: 'profileId', description: 'not a profile of this account' }]);
    return profileId.startsWith('kid-') ? 'PG' : 'NC17';
  },
};

