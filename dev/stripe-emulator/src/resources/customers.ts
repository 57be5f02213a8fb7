/** Customers: create, update, delete (which cancels their subscriptions), list and search. */
import { invalidRequest, missingParam } from '../errors.js';
import { randomText, stripeId, type CustomerJson, type DeletedJson, type ListJson, type SearchResultJson } from '../model.js';
import type { CustomerListParams, CustomerParams, SearchParams } from '../schemas.js';
import type { Billing } from '../core/context.js';
import { mergeMetadata, previousAttributes } from '../core/support.js';

export class Customers {
  constructor(private readonly b: Billing) {}

  /** A new customer (checkout makes them too, without the API's checks). */
  add(p: CustomerParams): CustomerJson {
    const c: CustomerJson = {
      id: stripeId('cus', 14),
      object: 'customer',
      address: null,
      balance: p.balance ?? 0,
      created: this.b.now(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: p.description ?? null,
      discount: null,
      email: p.email ?? null,
      invoice_prefix: p.invoice_prefix ?? randomText(8, '0123456789ABCDEF'),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: mergeMetadata({}, p.metadata),
      name: p.name ?? null,
      next_invoice_sequence: p.next_invoice_sequence ?? 1,
      phone: p.phone ?? null,
      preferred_locales: p.preferred_locales ?? [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    };
    this.b.db.customers.add(c);
    this.b.events.emit('customer.created', c);
    return c;
  }

  create(p: CustomerParams): CustomerJson {
    if (p.invoice_prefix != null && !/^[A-Z0-9]{3,12}$/.test(p.invoice_prefix))
      throw invalidRequest('Invalid invoice_prefix: must be 3-12 uppercase letters or numbers', 'invoice_prefix');
    return this.b.db.render(this.add(p));
  }

  update(id: string, p: CustomerParams): CustomerJson {
    const c = this.b.db.customers.get(id);
    const before = this.b.db.render(c);
    if (p.email !== undefined) c.email = p.email;
    if (p.name !== undefined) c.name = p.name;
    if (p.description !== undefined) c.description = p.description;
    if (p.phone !== undefined) c.phone = p.phone;
    if (p.balance != null) c.balance = p.balance;
    if (p.preferred_locales !== undefined) c.preferred_locales = p.preferred_locales;
    c.metadata = mergeMetadata(c.metadata, p.metadata);
    const prev = previousAttributes(before, c);
    if (Object.keys(prev).length > 0) this.b.events.emit('customer.updated', c, prev);
    return this.b.db.render(c);
  }

  delete(id: string): DeletedJson {
    const c = this.b.db.customers.get(id);
    // Deleting a customer cancels its subscriptions immediately, as Stripe does.
    for (const s of this.b.db.subscriptions.all())
      if (s.customer === id && s.status !== 'canceled' && s.status !== 'incomplete_expired') this.b.subscriptions.end(s, 'cancellation_requested');
    this.b.db.customers.delete(id);
    this.b.events.emit('customer.deleted', c);
    return { id, object: 'customer', deleted: true };
  }

  list(p: CustomerListParams): ListJson<CustomerJson> {
    return this.b.db.customers.list(p, '/v1/customers', { where: (c) => !p.email || c.email === p.email });
  }

  /** Customer search, with the query forms billing needs: `field:'v'`, `metadata['k']:'v'`, joined by AND. */
  search(p: SearchParams): SearchResultJson<CustomerJson> {
    if (!p.query) throw missingParam('query');
    const clauses = p.query.split(/\s+AND\s+/i).map((clause) => {
      const m = /^\s*(metadata\[['"]([^'"]+)['"]\]|[a-z_]+)\s*:\s*['"]([^'"]*)['"]\s*$/.exec(clause);
      if (!m) throw invalidRequest(`The query could not be parsed: ${clause} (the emulator supports field:'value' and metadata['key']:'value' joined by AND)`, 'query');
      return { metaKey: m[2] as string | undefined, field: m[1], value: m[3] };
    });
    const hits = this.b.db.customers.newestFirst((c) =>
      clauses.every(({ metaKey, field, value }) => {
        if (metaKey !== undefined) return c.metadata[metaKey] === value;
        const v = (c as unknown as Record<string, unknown>)[field];
        if (field === 'email' || field === 'name') return typeof v === 'string' && v.toLowerCase() === value.toLowerCase();
        return v === value;
      }),
    );
    const limit = p.limit ?? 10;
    return { object: 'search_result', data: hits.slice(0, limit).map((c) => this.b.db.render(c)), has_more: hits.length > limit, next_page: null, url: '/v1/customers/search' };
  }
}
