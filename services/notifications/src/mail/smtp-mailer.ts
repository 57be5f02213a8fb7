import nodemailer, { type Transporter } from 'nodemailer';
import type { OutgoingMessage } from '../domain/model.js';
import type { Mailer } from '../domain/ports.js';
import { classifySmtpError } from '../domain/retry.js';

export interface SmtpOptions {
  /** smtp://host:port, smtps://user:pass@host:465, smtp://…?requireTLS=true (nodemailer's URL form). */
  url: string;
  /** The From header, e.g. `Flix <no-reply@flix.example>`. */
  from: string;
  /** Connection, greeting and socket timeouts (ms): a relay that hangs is a transient failure. */
  timeoutMs: number;
}

/**
 * The Mailer port over nodemailer's SMTP transport (pooled connections). A relay's answer is
 * classified in the domain (retry.ts): 4xx and connection failures are retried, 5xx bounce.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(private readonly opts: SmtpOptions) {
    this.transport = nodemailer.createTransport({
      ...connectionFromUrl(opts.url),
      pool: true,
      maxConnections: 2,
      connectionTimeout: opts.timeoutMs,
      greetingTimeout: opts.timeoutMs,
      socketTimeout: opts.timeoutMs,
      // nodemailer's own logger would print whole messages (links with tokens): off.
      logger: false,
      debug: false,
    });
  }

  async send(m: OutgoingMessage) {
    try {
      await this.transport.sendMail({
        from: this.opts.from,
        to: m.to,
        subject: m.subject,
        html: m.html,
        text: m.text,
        messageId: m.messageId,
        headers: m.headers,
      });
      return { accepted: true as const };
    } catch (err) {
      return { accepted: false as const, failure: classifySmtpError(err) };
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/**
 * nodemailer ignores every other option when given a URL, so the URL is read here: host, port,
 * smtps (implicit TLS), user and password, and the query flags requireTLS / ignoreTLS /
 * rejectUnauthorized=false (a relay with a private certificate).
 */
export function connectionFromUrl(raw: string) {
  const u = new URL(raw);
  const secure = u.protocol === 'smtps:';
  const flag = (name: string) => u.searchParams.get(name) === 'true';
  return {
    host: u.hostname,
    port: Number(u.port) || (secure ? 465 : 587),
    secure,
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
    requireTLS: flag('requireTLS'),
    ignoreTLS: flag('ignoreTLS'),
    ...(u.searchParams.get('rejectUnauthorized') === 'false' ? { tls: { rejectUnauthorized: false } } : {}),
  };
}
