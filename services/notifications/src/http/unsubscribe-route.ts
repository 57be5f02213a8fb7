import { isDomainError } from '@flix/errors';
import type { HttpRoute } from '@flix/http';
import type { Logger } from '@flix/logging';
import type { Links } from '../domain/links.js';
import type { Notifier } from '../domain/notifier.js';

/**
 * RFC 8058 one-click unsubscribe: `POST /notifications/unsubscribe?token=…` with the form body
 * `List-Unsubscribe=One-Click`, sent by a mail client (no cookies, no login, no redirects
 * followed). Plain HTTP, routed by the gateway's /notifications/ prefix, because the body is
 * form-encoded and not the JSON transcoder's. The web page at /unsubscribe uses the JSON
 * Unsubscribe RPC instead. The token is never logged.
 */
export function unsubscribeRoutes(notifier: Notifier, links: Links, logger: Logger): HttpRoute[] {
  return [oneClick(notifier, logger), humanVisit(links)];
}

/**
 * A GET of the one-click URL (a mail client that opens it in a browser, or a link scanner)
 * changes nothing here — RFC 8058 keeps the change to the POST, since scanners GET every URL — and
 * sends the person on to the web app's unsubscribe page, which shows what is turned off.
 */
function humanVisit(links: Links): HttpRoute {
  return {
    method: 'GET',
    path: '/notifications/unsubscribe',
    async handle(req) {
      const token = req.query.get('token') ?? '';
      return { status: 303, headers: { location: links.unsubscribePage(token), 'cache-control': 'no-store' }, body: '' };
    },
  };
}

function oneClick(notifier: Notifier, logger: Logger): HttpRoute {
  return {
    method: 'POST',
    path: '/notifications/unsubscribe',
    async handle(req) {
      const form = new URLSearchParams(req.body.toString('utf8'));
      const token = req.query.get('token') ?? form.get('token') ?? '';
      if (form.get('List-Unsubscribe') !== 'One-Click' && !req.query.get('token') && !form.get('token'))
        return { status: 400, body: { code: 3, message: 'body: expected List-Unsubscribe=One-Click and a token', details: [] } };
      try {
        const { category } = await notifier.unsubscribe(token);
        logger.info({ category }, 'one-click unsubscribe');
        return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `Unsubscribed from ${category} e-mails.\n` };
      } catch (err) {
        if (isDomainError(err) && err.kind === 'invalid_argument') return { status: 400, body: { code: 3, message: err.message, details: [] } };
        throw err;
      }
    },
  };
}
