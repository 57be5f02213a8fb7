import { invalidArgument } from '@flix/errors';

// Identity gives accounts randomUUID() ids; anything else cannot name one, so it is a client mistake (400).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The account id of an admin request, checked before any lookup. */
export function checkUserId(userId: string, field = 'userId'): string {
  const id = userId.trim();
  if (id === '') throw invalidArgument(field, 'is required');
  if (!UUID.test(id)) throw invalidArgument(field, 'must be an account ID (a UUID)');
  return id.toLowerCase();
}
