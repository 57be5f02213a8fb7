import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACTED_PATHS } from './index.js';

describe('log redaction', () => {
  it('never writes passwords or tokens', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    log.info({ password: 'hunter2-secret', req: { refreshToken: 'rt-abc', email: 'a@b.c' } }, 'login');
    const out = lines.join('');
    expect(out).not.toContain('hunter2-secret');
    expect(out).not.toContain('rt-abc');
    expect(out).toContain('a@b.c');
  });
});
