/** Billing portal sessions, and what the hosted portal page shows. */
import { missingParam } from '../errors.js';
import { stripeId, type CustomerJson, type PortalSessionJson, type SubscriptionJson } from '../model.js';
import type { PortalCreateParams } from '../schemas.js';
import type { Billing } from '../core/context.js';
import { validUrl } from '../core/support.js';

const PORTAL_CONFIGURATION = 'bpc_emulatordefault0000000';

export interface PortalView {
  session: PortalSessionJson;
  customer: CustomerJson;
  subscriptions: SubscriptionJson[];
}

export class Portal {
  constructor(private readonly b: Billing) {}

  create(p: PortalCreateParams): PortalSessionJson {
    if (!p.customer) throw missingParam('customer');
    const customer = this.b.db.customers.get(p.customer, 'customer');
    const returnUrl = validUrl(p.return_url, 'return_url');
    const id = stripeId('bps', 24);
    const s: PortalSessionJson = {
      id,
      object: 'billing_portal.session',
      configuration: p.configuration ?? PORTAL_CONFIGURATION,
      created: this.b.now(),
      customer: customer.id,
      customer_account: null,
      flow: null,
      livemode: false,
      locale: p.locale ?? null,
      on_behalf_of: null,
      return_url: returnUrl,
      url: `${this.b.opts.publicUrl}/p/session/${id}`,
    };
    this.b.db.portalSessions.add(s);
    this.b.events.emit('billing_portal.session.created', s);
    return this.b.db.render(s);
  }

  /** The session with its customer's live subscriptions, or undefined when either is gone. */
  view(id: string): PortalView | undefined {
    const { db } = this.b;
    const s = db.portalSessions.find(id);
    const customer = s ? db.customers.find(s.customer) : undefined;
    if (!s || !customer) return undefined;
    const subscriptions = db.subscriptions.all().filter((x) => x.customer === customer.id && x.status !== 'canceled').map((x) => db.render(x));
    return { session: structuredClone(s), customer: structuredClone(customer), subscriptions };
  }
}
