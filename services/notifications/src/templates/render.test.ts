import { describe, expect, it } from 'vitest';
import { Links } from '../domain/links.js';
import { TEMPLATES, type TemplateName } from '../domain/model.js';
import type { TemplateData } from '../domain/ports.js';
import { HandlebarsRenderer } from './render.js';

const links = new Links('https://flix.example/');
const renderer = new HandlebarsRenderer(links);
const recipient = { displayName: 'Ana', language: 'en' };
const at = new Date('2026-12-24T18:00:00Z');
/** Handlebars escapes `=` in attribute values (&#x3D;), which any HTML reader decodes. */
const decoded = (html: string) => html.replaceAll('&#x3D;', '=').replaceAll('&amp;', '&');

const samples: { [K in TemplateName]: TemplateData[K] } = {
  welcome: {},
  'verify-email': { token: 'tok-verify', expiresAt: at },
  'password-reset': { token: 'tok/reset+1', expiresAt: at, clientIp: '203.0.113.9' },
  'password-changed': { method: 'reset', revokedSessions: 2 },
  'email-changed': { oldEmail: 'old@example.com', newEmail: 'new@example.com' },
  'account-deleted': {},
  receipt: { description: 'Subscription: standard', amountMinor: 1299, currency: 'EUR', receiptUrl: 'https://pay.example/invoice/in_1', paidAt: at },
  'payment-failed': { description: 'Subscription: standard', amountMinor: 1299, currency: 'USD', fixUrl: 'https://pay.example/invoice/in_2' },
  'subscription-past-due': { planId: 'standard', graceUntil: at },
  'subscription-canceled': { planId: 'standard', endsAt: at },
  'subscription-ended': { planId: 'standard' },
  'rental-started': { movieTitle: 'Heat', expiresAt: at },
  'trial-ending': { planId: 'standard', trialEndsAt: at },
  'rental-expiring': { movieTitle: 'Heat', expiresAt: at },
};

describe('templates', () => {
  it.each(Object.keys(TEMPLATES) as TemplateName[])('%s renders a subject, HTML and text', (template) => {
    const m = renderer.render({ template, data: samples[template], recipient });
    expect(m.subject.length).toBeGreaterThan(5);
    expect(m.html).toMatch(/^<!doctype html>/);
    expect(m.html).toContain('Hi Ana,');
    expect(m.text).toContain('Hi Ana,');
    expect(m.text).not.toMatch(/<[a-z]/); // no markup in the text part
    expect(m.html + m.text).not.toContain('undefined');
    expect(m.text).toContain('https://flix.example/account/notifications');
  });

  it('links point at the web app, tokens URL-encoded', () => {
    const reset = renderer.render({ template: 'password-reset', data: samples['password-reset'], recipient });
    expect(reset.text).toContain('https://flix.example/reset-password?token=tok%2Freset%2B1');
    expect(decoded(reset.html)).toContain('href="https://flix.example/reset-password?token=tok%2Freset%2B1"');
    expect(reset.text).toContain('https://flix.example/forgot-password');
    const verify = renderer.render({ template: 'verify-email', data: samples['verify-email'], recipient });
    expect(verify.text).toContain('https://flix.example/verify-email?token=tok-verify');
  });

  it('money and dates are formatted for the reader', () => {
    const r = renderer.render({ template: 'receipt', data: samples.receipt, recipient });
    expect(r.text).toContain('€12.99');
    expect(r.text).toContain('December 24, 2026');
    expect(r.html).toContain('https://pay.example/invoice/in_1');
  });

  it('a display name cannot inject markup into the HTML', () => {
    const m = renderer.render({ template: 'welcome', data: {}, recipient: { displayName: '<img src=x onerror=alert(1)>', language: 'en' } });
    expect(m.html).not.toContain('<img src=x');
    expect(m.html).toContain('&lt;img');
    expect(m.text).toContain('<img src=x onerror=alert(1)>'); // plain text is not HTML
  });

  it('optional categories carry the unsubscribe link; transactional ones do not', () => {
    const reminder = renderer.render({ template: 'rental-expiring', data: samples['rental-expiring'], recipient, unsubscribeUrl: links.unsubscribePage('T') });
    expect(reminder.text).toContain('https://flix.example/unsubscribe?token=T');
    expect(decoded(reminder.html)).toContain('href="https://flix.example/unsubscribe?token=T"');
    const receipt = renderer.render({ template: 'receipt', data: samples.receipt, recipient });
    expect(receipt.text).not.toContain('/unsubscribe');
  });

  it('an unknown language falls back to English; no name gives a plain greeting', () => {
    const m = renderer.render({ template: 'welcome', data: {}, recipient: { displayName: '', language: 'xx-YY' } });
    expect(m.text.startsWith('Hi,')).toBe(true);
    expect(m.html).toContain('lang="en"');
  });
});
