/**
 * The pages Stripe hosts, reduced to what a person (or a test acting as a browser) needs: plain
 * HTML and form POSTs, no JavaScript. Checkout shows what is bought with Pay and Decline; the
 * billing portal lists subscriptions with cancel/renew; invoices and receipts are read-only.
 */
import { formatAmount, type ChargeJson, type CheckoutSessionJson, type CustomerJson, type InvoiceJson, type LineItemJson, type PortalSessionJson, type SubscriptionJson } from './model.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const date = (ts: number): string => new Date(ts * 1000).toISOString().slice(0, 10);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1a1f36}
table{width:100%;border-collapse:collapse}td{padding:.4rem 0;border-bottom:1px solid #e3e8ee}td.r{text-align:right}
button{font-size:1rem;padding:.6rem 1.4rem;margin:.3rem .3rem 0 0;border-radius:6px;border:1px solid #635bff;background:#635bff;color:#fff}
button.secondary{background:#fff;color:#635bff}.notice{padding:.8rem;border-radius:6px;background:#fdecea;color:#8a1c13}
.ok{background:#e6f4ea;color:#1e4620}.muted{color:#697386;font-size:.9rem}</style></head>
<body><p class="muted">Stripe emulator (test mode)</p>${body}</body></html>`;
}

export interface CheckoutPageModel {
  session: CheckoutSessionJson;
  lines: LineItemJson[];
  trialEnd: number | null;
  declined: boolean;
}

export function checkoutPage(m: CheckoutPageModel): string {
  const s = m.session;
  const rows = m.lines
    .map((l) => {
      const rec = l.price.recurring ? ` / ${l.price.recurring.interval_count > 1 ? `${l.price.recurring.interval_count} ` : ''}${l.price.recurring.interval}` : '';
      return `<tr><td>${escapeHtml(l.description)} × ${l.quantity}</td><td class="r">${formatAmount(l.amount_subtotal, l.currency)}${rec}</td></tr>`;
    })
    .join('');
  const discount = s.total_details.amount_discount > 0 ? `<tr><td>Discount</td><td class="r">−${formatAmount(s.total_details.amount_discount, s.currency)}</td></tr>` : '';
  const trial = m.trialEnd ? `<p>Free trial until <b>${date(m.trialEnd)}</b>.</p>` : '';
  const cancel = s.cancel_url ? `<p><a href="${escapeHtml(s.cancel_url)}">← Back</a></p>` : '';
  let status = '';
  let actions = '';
  if (s.status === 'open') {
    if (m.declined) status = '<p class="notice" id="declined">Your card was declined. Try again, or use another card.</p>';
    actions = `<form method="post" action="/checkout/${escapeHtml(s.id)}/pay" style="display:inline"><button type="submit" id="pay">Pay ${formatAmount(s.amount_total, s.currency)}</button></form>
<form method="post" action="/checkout/${escapeHtml(s.id)}/decline" style="display:inline"><button type="submit" class="secondary" id="decline">Decline (card 4000 0000 0000 0002)</button></form>`;
  } else if (s.status === 'complete') {
    status = `<p class="notice ok" id="complete">This checkout is complete.</p>${s.success_url ? `<p><a href="${escapeHtml(s.success_url.replace('{CHECKOUT_SESSION_ID}', s.id))}">Continue</a></p>` : ''}`;
  } else {
    status = '<p class="notice" id="expired">This checkout session has expired.</p>';
  }
  return page(
    'Checkout',
    `<h1>${s.mode === 'subscription' ? 'Subscribe' : 'Pay'}</h1>${s.customer_details?.email || s.customer_email ? `<p class="muted">${escapeHtml(s.customer_details?.email ?? s.customer_email ?? '')}</p>` : ''}
<table>${rows}${discount}<tr><td><b>Due today</b></td><td class="r"><b>${formatAmount(s.amount_total, s.currency)}</b></td></tr></table>${trial}${status}${actions}${cancel}`,
  );
}

export function messagePage(title: string, message: string, status: 'ok' | 'error' = 'error'): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p class="notice ${status === 'ok' ? 'ok' : ''}">${escapeHtml(message)}</p>`);
}

export function portalPage(m: { session: PortalSessionJson; customer: CustomerJson; subscriptions: SubscriptionJson[] }, productName: (id: string) => string): string {
  const subs = m.subscriptions
    .map((s) => {
      const item = s.items.data[0];
      const name = productName(item.price.product);
      const line = `${escapeHtml(name)} — ${formatAmount(item.price.unit_amount * item.quantity, item.price.currency)} / ${item.price.recurring?.interval ?? ''}`;
      const state = s.cancel_at_period_end ? `Cancels on ${date(s.current_period_end)}` : s.status === 'trialing' ? `Trial ends ${date(s.trial_end ?? s.current_period_end)}` : `Renews on ${date(s.current_period_end)}`;
      const action = s.cancel_at_period_end ? 'renew' : 'cancel';
      return `<tr><td>${line}<br><span class="muted">${escapeHtml(s.status)} · ${state}</span></td><td class="r">
<form method="post" action="/p/session/${escapeHtml(m.session.id)}/subscriptions/${escapeHtml(s.id)}/${action}"><button type="submit" class="${action === 'cancel' ? 'secondary' : ''}" id="${action}-${escapeHtml(s.id)}">${action === 'cancel' ? 'Cancel plan' : 'Renew plan'}</button></form></td></tr>`;
    })
    .join('');
  const back = m.session.return_url ? `<p><a href="${escapeHtml(m.session.return_url)}">← Return</a></p>` : '';
  return page('Billing', `<h1>Billing</h1><p class="muted">${escapeHtml(m.customer.email ?? m.customer.id)}</p><table>${subs || '<tr><td>No active subscriptions.</td></tr>'}</table>${back}`);
}

export function invoicePage(inv: InvoiceJson): string {
  const rows = inv.lines.data.map((l) => `<tr><td>${escapeHtml(l.description)}</td><td class="r">${formatAmount(l.amount, l.currency)}</td></tr>`).join('');
  return page(
    `Invoice ${inv.number ?? inv.id}`,
    `<h1>Invoice ${escapeHtml(inv.number ?? inv.id)}</h1><p class="muted">${escapeHtml(inv.status)}</p><table>${rows}<tr><td><b>Total</b></td><td class="r"><b>${formatAmount(inv.total, inv.currency)}</b></td></tr></table>`,
  );
}

export function receiptPage(ch: ChargeJson): string {
  return page(
    'Receipt',
    `<h1>Receipt</h1><table><tr><td>Amount</td><td class="r">${formatAmount(ch.amount, ch.currency)}</td></tr><tr><td>Refunded</td><td class="r">${formatAmount(ch.amount_refunded, ch.currency)}</td></tr><tr><td>Card</td><td class="r">visa •••• ${escapeHtml(ch.payment_method_details.card.last4)}</td></tr></table>`,
  );
}
