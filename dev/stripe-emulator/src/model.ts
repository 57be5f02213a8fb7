/**
 * The JSON shapes the emulator puts on the wire, following the `stripe` 23.x SDK types (API
 * version 2026-10-28.endive). The emulator does not import `stripe` (a dev dependency, for the
 * tests only), so the shapes are spelled out here; fields the emulator never fills are present
 * with Stripe's "off" value (null, [], false) so code reading them sees what Stripe would send.
 *
 * Expandable references are stored as ids; core/expand.ts expands them on output when asked.
 * Two fields are emulator additions beyond the pinned API version and are documented as such:
 * `current_period_start`/`current_period_end` on the subscription (older versions had them
 * there; newer ones only on the items, which carry them too).
 *
 * The shapes live in model/, one module per area; this module is their union.
 */
export * from './model/common.js';
export * from './model/catalog.js';
export * from './model/checkout.js';
export * from './model/invoices.js';
export * from './model/payments.js';
