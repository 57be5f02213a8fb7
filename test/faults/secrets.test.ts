/** The log scan the fault suite runs, on lines that do and do not leak. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findSecrets } from './lib/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'flix-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scan(lines: string[], known: { what: string; value: string }[] = []) {
  const path = join(dir, `log-${Math.random()}`);
  writeFileSync(path, lines.join('\n'));
  return findSecrets(path, known);
}

describe('the secrets-in-logs scan', () => {
  it('names the line and what leaked, with the value masked', () => {
    const hits = scan(
      [
        'identity  | {"msg":"login","email":"ann@example.com"}',
        'gateway   | {"headers":{"authorization":"Bearer abcdefghijklmnopqrstuvwxyz0123"}}',
        'billing   | {"key":"sk_test_0123456789abcdef"}',
        'stripe    | {"secret":"whsec_AbCdEfGhIjKlMnOp"}',
        'web       | set-cookie: flix_refresh=0123456789abcdefghij; Path=/v1/auth',
        'identity  | {"password":"pw correct horse battery passphrase"}',
      ],
      [{ what: 'a password the journey used', value: 'pw correct horse battery passphrase' }],
    );
    expect(hits.map((h) => [h.line, h.what])).toEqual([
      [2, 'an Authorization header value'],
      [3, 'a Stripe secret key'],
      [4, 'a Stripe webhook secret'],
      [5, 'a refresh-token cookie'],
      [6, 'a password the journey used'],
    ]);
    expect(hits.map((h) => h.text).join('\n')).not.toMatch(/abcdefghijklmnopqrstuvwxyz0123|sk_test_0|whsec_A|flix_refresh=0|correct horse/);
  });

  it('passes ordinary log lines (ids, e-mail addresses, redacted headers)', () => {
    expect(scan(['gateway | {"request_id":"8876ea7d-ad78-4dc7-bf44-52ea80209acd","path":"/v1/auth/login","status":200}', 'stack | {"authorization":"[redacted]"}'])).toEqual([]);
  });
});
