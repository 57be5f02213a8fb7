import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** One e-mail as the catcher's REST API (GET /api/email) returns it. */
export interface CaughtMail {
  id: string;
  subject: string;
  from: { address: string; name: string }[];
  to: { address: string; name: string }[];
  headers: Record<string, string>;
  html: string;
  text: string;
  time: string;
}

export interface MailCatcher {
  /** smtp://127.0.0.1:<port>, for FLIX_SMTP_URL. */
  smtpUrl: string;
  smtpPort: number;
  /** The web inbox and its REST API (/api/email). */
  webUrl: string;
  /** Every e-mail received so far, oldest first. */
  messages(): Promise<CaughtMail[]>;
  /** The e-mails to one address. */
  to(address: string): Promise<CaughtMail[]>;
  /**
   * The message's header lines as sent (lower-case names, folded lines joined): the parsed
   * `headers` leave out structured ones such as List-Unsubscribe and List-Unsubscribe-Post.
   */
  rawHeaders(id: string): Promise<Record<string, string>>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

/** The inbox of a maildev whose web UI is at `webUrl` (this process's catcher, or the one `make run` starts). */
export function readInbox(webUrl: string): Pick<MailCatcher, 'messages' | 'to'> {
  const messages = async (): Promise<CaughtMail[]> => {
    const res = await fetch(`${webUrl}/api/email`);
    if (!res.ok) throw new Error(`mail catcher answered ${res.status}`);
    return (await res.json()) as CaughtMail[];
  };
  return {
    messages,
    to: async (address) => (await messages()).filter((m) => m.to.some((t) => t.address.toLowerCase() === address.toLowerCase())),
  };
}

/**
 * A real SMTP mail catcher for tests: maildev (npm, the same catcher `make run` starts) on free
 * ports, in this process, keeping its mail in a temporary directory of its own. Tests read the
 * inbox through maildev's REST API, as a person would read its web inbox.
 */
export async function startMailCatcher(opts: { smtpPort?: number; webPort?: number } = {}): Promise<MailCatcher> {
  const { MailDev } = await import('maildev');
  const smtpPort = opts.smtpPort ?? (await freePort());
  const webPort = opts.webPort ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'flix-mail-'));
  const maildev = new MailDev({ smtp: smtpPort, web: webPort, ip: '127.0.0.1', webIp: '127.0.0.1', mailDirectory: dir, silent: true });
  await maildev.start();
  const webUrl = `http://127.0.0.1:${webPort}`;
  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    smtpPort,
    webUrl,
    ...readInbox(webUrl),
    rawHeaders: async (id) => {
      const res = await fetch(`${webUrl}/api/email/${encodeURIComponent(id)}/source`);
      if (!res.ok) throw new Error(`mail catcher answered ${res.status} for the source of ${id}`);
      const head = (await res.text()).split(/\r?\n\r?\n/)[0] ?? '';
      const out: Record<string, string> = {};
      for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      return out;
    },
    clear: async () => void (await fetch(`${webUrl}/api/email/all`, { method: 'DELETE' })),
    stop: async () => {
      await maildev.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
