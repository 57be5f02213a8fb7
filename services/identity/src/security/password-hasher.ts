import argon2 from 'argon2';
import type { PasswordHasher } from '../domain/ports.js';


export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** argon2id; defaults follow OWASP's password storage cheat sheet (m=19 MiB, t=2, p=1). */
export function argon2Hasher(params: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 }): PasswordHasher {
  const options = { type: argon2.argon2id as 2, ...params };
  return {
    hash: (password) => argon2.hash(password, options),
    verify: async (hash, password) => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false; // a malformed stored hash never authenticates
      }
    },
    needsRehash: (hash) => argon2.needsRehash(hash, params),
  };
}
