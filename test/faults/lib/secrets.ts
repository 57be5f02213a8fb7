/**
 * No secret in the logs: every line the stack and its children wrote is searched for the
 * passwords the journey used, the tokens identity issued, the secrets the stack generated, and
 * for the shapes secrets take (Authorization headers, Stripe keys, refresh cookies).
 */
import { readFileSync } from 'node:fs';

export interface SecretHit {
  line: number;
  what: string;
  /** The line, with the secret itself masked. */
  text: string;
}

/** Shapes that are secrets whatever their value. */
const PATTERNS: { what: string; re: RegExp }[] = [
  { what: 'an Authorization header value', re: /\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{16,}/i },
  { what: 'a Stripe secret key', re: /\b[sr]k_(?:test|live)_[A-Za-z0-9]{8,}/ },
  { what: 'a Stripe webhook secret', re: /\bwhsec_[A-Za-z0-9_-]{8,}/ },
  { what: 'a refresh-token cookie', re: /flix_refresh=[^;\s"]{8,}/ },
  { what: 'a JWT', re: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/ },
];

export function findSecrets(logPath: string, known: { what: string; value: string }[]): SecretHit[] {
  // Short values would match by accident; every real one here is long.
  const values = known.filter((k) => k.value.length >= 12);
  const hits: SecretHit[] = [];
  const lines = readFileSync(logPath, 'utf8').split('\n');
  lines.forEach((text, i) => {
    for (const k of values) {
      if (text.includes(k.value)) hits.push({ line: i + 1, what: k.what, text: text.split(k.value).join('«…»').slice(0, 400) });
    }
    for (const p of PATTERNS) {
      if (p.re.test(text)) hits.push({ line: i + 1, what: p.what, text: text.replace(p.re, '«…»').slice(0, 400) });
    }
  });
  return hits;
}
