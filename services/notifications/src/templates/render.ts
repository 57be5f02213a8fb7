import Handlebars from 'handlebars';
import type { Links } from '../domain/links.js';
import { TEMPLATES, type TemplateName } from '../domain/model.js';
import type { RenderedMessage, RenderInput, Renderer } from '../domain/ports.js';
import { en, type Catalog } from './en.js';

/**
 * Renders every e-mail to HTML and plain text with Handlebars (handlebars 4.7 from npm).
 *
 * Why Handlebars: it escapes HTML by default (a display name or movie title cannot inject
 * markup), templates are plain strings a translator can edit without knowing TypeScript or JSX,
 * the same engine renders the text part (compiled with noEscape), it has no runtime beyond itself
 * and no build step (MJML or React Email would add a compiler or React to a service that only
 * needs a dozen short messages), and its helpers give locale-aware money and dates via Intl.
 * The layout is a small table-based HTML shell with inline styles, which mail clients render.
 */
const CATALOGS: Record<string, Catalog> = { en };

type Compiled = { subject: HandlebarsTemplateDelegate; html: HandlebarsTemplateDelegate; text: HandlebarsTemplateDelegate };

const HTML_LAYOUT = `<!doctype html>
<html lang="{{lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{subject}}</title></head>
<body style="margin:0;padding:0;background:#f4f4f5;font-family:Helvetica,Arial,sans-serif;color:#18181b">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f4f5"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:8px">
<tr><td style="padding:20px 28px;background:#111827;border-radius:8px 8px 0 0;color:#e50914;font-size:24px;font-weight:bold">Flix</td></tr>
<tr><td style="padding:28px;font-size:15px;line-height:1.5">
<p>{{greeting}}</p>
{{{body}}}
</td></tr>
<tr><td style="padding:16px 28px;border-top:1px solid #e4e4e7;font-size:12px;color:#71717a">
<p>{{footer}}</p>
<p>{{#if unsubscribeUrl}}<a href="{{unsubscribeUrl}}" style="color:#71717a">{{unsubscribeLabel}}</a> · {{/if}}<a href="{{preferencesUrl}}" style="color:#71717a">{{preferencesLabel}}</a></p>
</td></tr></table></td></tr></table></body></html>`;

const TEXT_LAYOUT = `{{greeting}}

{{{body}}}

--
{{footer}}
{{#if unsubscribeUrl}}{{unsubscribeLabel}}: {{unsubscribeUrl}}
{{/if}}{{preferencesLabel}}: {{preferencesUrl}}
`;

/** Inline styles for the classes the message bodies use (mail clients drop <style> blocks). */
const inlineStyles = (html: string) =>
  html
    .replaceAll('class="button"', 'style="display:inline-block;padding:10px 18px;background:#e50914;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold"')
    .replaceAll('class="muted"', 'style="color:#71717a;font-size:13px"')
    .replaceAll('class="facts"', 'style="border-collapse:collapse;width:100%"')
    .replaceAll('class="amount"', 'style="text-align:right;font-weight:bold"');

export class HandlebarsRenderer implements Renderer {
  private readonly hb = Handlebars.create();
  private readonly compiled = new Map<string, Record<TemplateName, Compiled> & { layout: { html: HandlebarsTemplateDelegate; text: HandlebarsTemplateDelegate } }>();

  constructor(private readonly links: Links) {
    const lang = (options: Handlebars.HelperOptions) => (options.data?.root as { lang?: string } | undefined)?.lang ?? 'en';
    // Dates are shown in UTC, named as such (the account has no time zone yet); an absent or
    // unreadable value renders as nothing rather than failing the whole message.
    const asDate = (v: unknown) => {
      const d = v instanceof Date ? v : new Date(String(v));
      return Number.isNaN(d.getTime()) ? null : d;
    };
    this.hb.registerHelper('money', (minor: unknown, currency: unknown, options: Handlebars.HelperOptions) => {
      const code = typeof currency === 'string' && /^[A-Za-z]{3}$/.test(currency) ? currency.toUpperCase() : 'USD';
      return new Intl.NumberFormat(lang(options), { style: 'currency', currency: code }).format(Number(minor ?? 0) / 100);
    });
    this.hb.registerHelper('date', (v: unknown, options: Handlebars.HelperOptions) => {
      const d = asDate(v);
      return d ? new Intl.DateTimeFormat(lang(options), { dateStyle: 'long', timeZone: 'UTC' }).format(d) : '';
    });
    this.hb.registerHelper('datetime', (v: unknown, options: Handlebars.HelperOptions) => {
      const d = asDate(v);
      return d ? `${new Intl.DateTimeFormat(lang(options), { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(d)} UTC` : '';
    });
    this.hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    // Compiled once at start: a broken template stops the service before it sends anything.
    for (const [code, catalog] of Object.entries(CATALOGS)) {
      const messages = {} as Record<TemplateName, Compiled>;
      for (const name of Object.keys(TEMPLATES) as TemplateName[]) {
        const t = catalog[name];
        messages[name] = {
          subject: this.hb.compile(t.subject, { noEscape: true, strict: false }),
          html: this.hb.compile(inlineStyles(t.html)),
          text: this.hb.compile(t.text, { noEscape: true }),
        };
        // Render once with no data to surface syntax errors now rather than at the first send.
        messages[name].html({});
      }
      this.compiled.set(code, { ...messages, layout: { html: this.hb.compile(HTML_LAYOUT), text: this.hb.compile(TEXT_LAYOUT, { noEscape: true }) } });
    }
  }

  render(input: RenderInput): RenderedMessage {
    const wanted = (input.recipient.language || 'en').toLowerCase();
    const code = this.compiled.has(wanted) ? wanted : this.compiled.has(wanted.split('-')[0]!) ? wanted.split('-')[0]! : 'en';
    const compiled = this.compiled.get(code)!;
    const catalog = CATALOGS[code]!;
    const l = this.links;
    const data = input.data as Record<string, unknown>;
    const token = typeof data.token === 'string' ? data.token : '';
    const action = input.template === 'verify-email' ? l.verifyEmail(token) : input.template === 'password-reset' ? l.resetPassword(token) : '';
    const context = {
      ...data,
      lang: code,
      links: { action, home: l.home(), forgot: l.forgotPassword(), security: l.security(), account: l.account(), plans: l.plans() },
    };
    const m = compiled[input.template];
    const subject = m.subject(context);
    const name = input.recipient.displayName.trim();
    const greeting = name ? this.hb.compile(catalog.layout.greetingNamed, { noEscape: true })({ name }) : catalog.layout.greeting;
    const frame = {
      lang: code,
      subject,
      greeting,
      footer: input.unsubscribeUrl ? catalog.layout.footerOptional : catalog.layout.footer,
      unsubscribeUrl: input.unsubscribeUrl,
      unsubscribeLabel: catalog.layout.unsubscribe,
      preferencesUrl: l.preferences(),
      preferencesLabel: catalog.layout.preferences,
    };
    return {
      subject,
      html: compiled.layout.html({ ...frame, body: m.html(context) }),
      text: compiled.layout.text({ ...frame, body: m.text(context) }).replace(/\n{3,}/g, '\n\n'),
    };
  }
}
