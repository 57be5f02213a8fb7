import { describe, expect, it } from 'vitest';
import { DomainError } from '@flix/errors';
import type { Caller, Principal } from '@flix/auth';
import { AccountDeletion, DELETE_CONFIRMATION, type AccountErasure } from './account-deletion.js';
import { DataExport, type PersonalDataSource } from './data-export.js';
import type { IdentityEvent } from './events.js';
import type { UserRecord } from './model.js';
import type { UserRepository } from './ports.js';

const NOW = new Date('2026-12-05T12:00:00Z');
const META = { clientIp: '203.0.113.7' };
const clock = { now: () => NOW };
const principal = (subject: string): Principal => ({ subject, roles: ['viewer'], scopes: [], isService: false, tokenId: 't', expiresAt: new Date(NOW.getTime() + 60_000) });

function user(id: string): UserRecord {
  return {
    id,
    email: `${id}@example.com`,
    passwordHash: 'hash:right password',
    displayName: 'Dee Leter',
    preferredLanguage: 'en',
    favouriteGenres: [],
    roles: ['viewer'],
    profiles: [{ id: `${id}-p1`, name: 'Dee', kids: false, maxMaturity: 'NC17', avatarUrl: '', createdAt: NOW }],
    createdAt: NOW,
    updatedAt: NOW,
    version: 1,
  };
}

/** Users in memory, with an erasure that removes them and remembers when. */
function world(initial: UserRecord[]) {
  const users = new Map(initial.map((u) => [u.id, u]));
  const tombstones = new Map<string, Date>();
  const emitted: IdentityEvent[] = [];
  const repo = { findById: async (id: string) => users.get(id) ?? null } as unknown as UserRepository;
  // Stands in for Sessions.checkPassword (throttled like sign-in).
  const checkPassword = async (u: UserRecord, password: string) => {
    if (u.passwordHash !== `hash:${password}`) throw new DomainError('invalid_argument', 'WRONG_PASSWORD', "currentPassword: is not this account's password", [{ field: 'currentPassword', description: "is not this account's password" }]);
  };
  const erasure: AccountErasure = {
    async erase(u, at, events) {
      users.delete(u.id);
      tombstones.set(u.id, at);
      emitted.push(...events);
    },
    erasedAt: async (id) => tombstones.get(id) ?? null,
  };
  return { users, emitted, deletion: new AccountDeletion({ users: repo, checkPassword, erasure, clock }), repo };
}

const fieldsOf = async (p: Promise<unknown>) => {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(DomainError);
  return (e as DomainError).fieldViolations.map((v) => v.field);
};

describe('AccountDeletion', () => {
  it('needs the password and the exact phrase, naming the field that is wrong', async () => {
    const w = world([user('u1')]);
    expect(await fieldsOf(w.deletion.delete(principal('u1'), { currentPassword: 'wrong password', confirmation: DELETE_CONFIRMATION }, META))).toEqual(['currentPassword']);
    expect(await fieldsOf(w.deletion.delete(principal('u1'), { currentPassword: 'right password', confirmation: 'delete my account' }, META))).toEqual(['confirmation']);
    expect(await fieldsOf(w.deletion.delete(principal('u1'), { currentPassword: '', confirmation: '' }, META))).toEqual(['currentPassword', 'confirmation']);
    expect(w.users.has('u1')).toBe(true);
  });

  it('closes the account with identity.user.deleted, and a repeat answers the same time', async () => {
    const w = world([user('u1')]);
    const first = await w.deletion.delete(principal('u1'), { currentPassword: 'right password', confirmation: DELETE_CONFIRMATION }, META);
    expect(first.deletedAt).toEqual(NOW);
    expect(w.users.has('u1')).toBe(false);
    expect(w.emitted).toEqual([{ subject: 'identity.user.deleted', payload: { userId: 'u1', email: 'u1@example.com', displayName: 'Dee Leter' } }]);
    // The hash is gone: a retry is answered from the tombstone, without a password check.
    expect(await w.deletion.delete(principal('u1'), { currentPassword: 'anything', confirmation: DELETE_CONFIRMATION }, META)).toEqual(first);
    expect(w.emitted).toHaveLength(1);
  });

  it('an account that never existed is NOT_FOUND', async () => {
    const w = world([]);
    await expect(w.deletion.delete(principal('nobody'), { currentPassword: 'x', confirmation: DELETE_CONFIRMATION }, META)).rejects.toMatchObject({ kind: 'not_found' });
  });
});

describe('DataExport', () => {
  const caller = (id: string): Caller => ({ principal: principal(id), accessToken: 'token' });
  const source = (service: string, answer: () => Promise<Record<string, unknown>>): PersonalDataSource => ({ service, export: answer });

  it('assembles identity first, then each service in order, without the password hash', async () => {
    const w = world([{ ...user('u1'), passwordReset: { tokenHash: 'hash:reset', expiresAt: NOW } }]);
    const exp = new DataExport({ users: w.repo, sessions: async () => [], clock, sources: [source('billing', async () => ({ payments: [1] })), source('playback', async () => ({ sessions: [] }))] });
    const archive = await exp.exportMine(caller('u1'));
    expect(archive.parts.map((p) => p.service)).toEqual(['identity', 'billing', 'playback']);
    expect(JSON.stringify(archive.parts[0])).not.toContain('hash:');
    expect(archive.parts[0]!.data).toMatchObject({ appConsents: [] });
    expect(archive.parts[1]!.data).toEqual({ payments: [1] });
  });

  it('is UNAVAILABLE naming every service that did not answer, never a partial archive', async () => {
    const w = world([user('u1')]);
    const down = () => Promise.reject(new DomainError('unavailable', 'UNAVAILABLE', 'connection refused'));
    const exp = new DataExport({ users: w.repo, sessions: async () => [], clock, sources: [source('billing', async () => ({})), source('playback', down), source('analytics', down)] });
    const err = await exp.exportMine(caller('u1')).catch((e: unknown) => e as DomainError);
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'EXPORT_INCOMPLETE', metadata: { services: 'playback,analytics' } });
    expect((err as DomainError).message).toContain('playback, analytics');
  });
});
