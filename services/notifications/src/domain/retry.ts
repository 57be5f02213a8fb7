/**
 * How an SMTP failure is treated. The relay's answer decides: a 4xx reply (greylisting, a full
 * queue, rate limits) and anything that never got a reply (connection refused, timeouts, TLS)
 * are transient and retried with backoff; a 5xx reply (no such mailbox, refused by policy) is
 * permanent and recorded as a bounce — sending it again would be refused again.
 */
export type SendFailureKind = 'transient' | 'permanent';

export interface SendFailure {
  kind: SendFailureKind;
  /** The SMTP reply code when there was one. */
  responseCode?: number | undefined;
  /** One line, safe to log and show operators (never the message, its links or tokens). */
  reason: string;
}

export function classifySmtpError(err: unknown): SendFailure {
  const e = (err ?? {}) as { responseCode?: unknown; code?: unknown; response?: unknown; message?: unknown };
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const code = typeof e.code === 'string' ? e.code : '';
  // The relay's reply line, or the error's own message: these describe the transport, not the message.
  const detail = (typeof e.response === 'string' ? e.response : typeof e.message === 'string' ? e.message : String(err)).split('\n')[0]!.slice(0, 300);
  const reason = [responseCode, code, detail].filter((x) => x !== undefined && x !== '').join(' ');
  if (responseCode !== undefined && responseCode >= 500 && responseCode < 600) return { kind: 'permanent', responseCode, reason };
  return { kind: 'transient', responseCode, reason };
}

/**
 * The wait before attempt n+1 after n failed attempts: doubling from `baseMs`, capped at `maxMs`,
 * with up to 20 % jitter so a relay coming back is not hit by every delivery at once.
 */
export function backoffMs(failedAttempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(exp * (1 + 0.2 * random()));
}

/** `j***@example.com`: enough for an operator to tell deliveries apart, not a mailing list. */
export function maskAddress(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return email ? '***' : '';
  return `${email[0]}***${email.slice(at)}`;
}
