import type { TemplateName } from '../domain/model.js';

/**
 * English messages. Each has a subject, an HTML body (placed inside layout.html) and a plain-text
 * body (inside layout.txt), as Handlebars templates: `{{x}}` is HTML-escaped in the HTML part, so
 * a display name cannot inject markup. A translation is another file of the same shape,
 * registered in render.ts by language code.
 *
 * Subjects never carry names, amounts or tokens: they are kept in the delivery log.
 */
export interface MessageTemplates {
  subject: string;
  html: string;
  text: string;
}

export type Catalog = Record<TemplateName, MessageTemplates> & { layout: { greeting: string; greetingNamed: string; footer: string; footerOptional: string; unsubscribe: string; preferences: string } };

export const en: Catalog = {
  layout: {
    greeting: 'Hi,',
    greetingNamed: 'Hi {{name}},',
    footer: 'You get this e-mail because you have a Flix account. It is about your account, so it is sent whatever your e-mail preferences.',
    footerOptional: 'You get this e-mail because reminders are on for your Flix account.',
    unsubscribe: 'Unsubscribe from these e-mails',
    preferences: 'E-mail preferences',
  },
  welcome: {
    subject: 'Welcome to Flix',
    html: `<p>Welcome to Flix! Your account is ready.</p>
<p>Pick a plan to start watching, or rent a single title.</p>
<p><a class="button" href="{{links.plans}}">See the plans</a></p>`,
    text: `Welcome to Flix! Your account is ready.

Pick a plan to start watching, or rent a single title:
{{links.plans}}`,
  },
  'verify-email': {
    subject: 'Confirm your e-mail address',
    html: `<p>Please confirm that this is your e-mail address.</p>
<p><a class="button" href="{{links.action}}">Confirm my address</a></p>
{{#if expiresAt}}<p class="muted">The link works until {{datetime expiresAt}}.</p>{{/if}}
<p class="muted">If you did not create a Flix account or change its address, ignore this e-mail.</p>`,
    text: `Please confirm that this is your e-mail address:
{{links.action}}
{{#if expiresAt}}
The link works until {{datetime expiresAt}}.{{/if}}

If you did not create a Flix account or change its address, ignore this e-mail.`,
  },
  'password-reset': {
    subject: 'Reset your Flix password',
    html: `<p>Someone (we hope you) asked to reset the password of your Flix account.</p>
<p><a class="button" href="{{links.action}}">Choose a new password</a></p>
{{#if expiresAt}}<p class="muted">The link works once, until {{datetime expiresAt}}. <a href="{{links.forgot}}">Ask for a new one</a> if it has expired.</p>{{/if}}
<p class="muted">If it wasn't you, ignore this e-mail: your password stays as it is.{{#if clientIp}} The request came from {{clientIp}}.{{/if}}</p>`,
    text: `Someone (we hope you) asked to reset the password of your Flix account.

Choose a new password:
{{links.action}}
{{#if expiresAt}}
The link works once, until {{datetime expiresAt}}. Ask for a new one if it has expired: {{links.forgot}}{{/if}}

If it wasn't you, ignore this e-mail: your password stays as it is.{{#if clientIp}} The request came from {{clientIp}}.{{/if}}`,
  },
  'password-changed': {
    subject: 'Your Flix password was changed',
    html: `<p>The password of your Flix account was {{#if (eq method "reset")}}reset with a link we e-mailed{{else}}changed{{/if}}.{{#if revokedSessions}} Other devices were signed out.{{/if}}</p>
<p class="muted">If this wasn't you, <a href="{{links.forgot}}">reset your password now</a> and review your <a href="{{links.security}}">devices and security settings</a>.</p>`,
    text: `The password of your Flix account was {{#if (eq method "reset")}}reset with a link we e-mailed{{else}}changed{{/if}}.{{#if revokedSessions}} Other devices were signed out.{{/if}}

If this wasn't you, reset your password now: {{links.forgot}}
and review your devices and security settings: {{links.security}}`,
  },
  'email-changed': {
    subject: 'Your Flix e-mail address was changed',
    html: `<p>The e-mail address of your Flix account was changed from {{oldEmail}} to {{newEmail}}. This is the last message sent to this address.</p>
<p class="muted">If this wasn't you, <a href="{{links.forgot}}">reset your password</a> and <a href="{{links.security}}">check your security settings</a>.</p>`,
    text: `The e-mail address of your Flix account was changed from {{oldEmail}} to {{newEmail}}. This is the last message sent to this address.

If this wasn't you, reset your password: {{links.forgot}}
and check your security settings: {{links.security}}`,
  },
  'account-deleted': {
    subject: 'Your Flix account is closed',
    html: `<p>Your Flix account is closed, as you asked. Everything Flix held about you is being erased; this is the last e-mail you get from us.</p>
<p>Thank you for watching with us.</p>`,
    text: `Your Flix account is closed, as you asked. Everything Flix held about you is being erased; this is the last e-mail you get from us.

Thank you for watching with us.`,
  },
  receipt: {
    subject: 'Your Flix receipt',
    html: `<p>Thank you for your payment.</p>
<table class="facts"><tr><td>{{description}}</td><td class="amount">{{money amountMinor currency}}</td></tr>
{{#if paidAt}}<tr><td class="muted">Paid</td><td>{{date paidAt}}</td></tr>{{/if}}</table>
{{#if receiptUrl}}<p><a href="{{receiptUrl}}">View the invoice</a></p>{{/if}}
<p class="muted">Your payments are in <a href="{{links.account}}">your account</a>.</p>`,
    text: `Thank you for your payment.

{{description}}: {{money amountMinor currency}}{{#if paidAt}}
Paid: {{date paidAt}}{{/if}}
{{#if receiptUrl}}
Invoice: {{receiptUrl}}{{/if}}

Your payments are in your account: {{links.account}}`,
  },
  'payment-failed': {
    subject: 'Your Flix payment failed',
    html: `<p>We could not take your payment of {{money amountMinor currency}} ({{description}}).</p>
<p>Please update your payment method or pay the invoice so you keep watching.</p>
<p><a class="button" href="{{fixUrl}}">Fix the payment</a></p>`,
    text: `We could not take your payment of {{money amountMinor currency}} ({{description}}).

Please update your payment method or pay the invoice so you keep watching:
{{fixUrl}}`,
  },
  'subscription-past-due': {
    subject: 'Your Flix subscription is past due',
    html: `<p>Your subscription's last payment did not go through.{{#if graceUntil}} You can keep watching until {{date graceUntil}}; after that your access pauses until a payment succeeds.{{/if}}</p>
<p><a class="button" href="{{links.account}}">Update payment details</a></p>`,
    text: `Your subscription's last payment did not go through.{{#if graceUntil}} You can keep watching until {{date graceUntil}}; after that your access pauses until a payment succeeds.{{/if}}

Update payment details: {{links.account}}`,
  },
  'subscription-canceled': {
    subject: 'Your Flix subscription is canceled',
    html: `<p>Your subscription is canceled{{#if endsAt}} and ends on {{date endsAt}}; you can watch until then{{/if}}.</p>
<p>Changed your mind? <a href="{{links.account}}">Resume it</a> before it ends.</p>`,
    text: `Your subscription is canceled{{#if endsAt}} and ends on {{date endsAt}}; you can watch until then{{/if}}.

Changed your mind? Resume it before it ends: {{links.account}}`,
  },
  'subscription-ended': {
    subject: 'Your Flix subscription has ended',
    html: `<p>Your subscription has ended and streaming is paused. Your profiles, lists and history are kept.</p>
<p><a class="button" href="{{links.plans}}">Subscribe again</a></p>`,
    text: `Your subscription has ended and streaming is paused. Your profiles, lists and history are kept.

Subscribe again: {{links.plans}}`,
  },
  'rental-started': {
    subject: 'Your rental is ready to watch',
    html: `<p>{{movieTitle}} is yours to watch{{#if expiresAt}} until {{datetime expiresAt}}{{/if}}. Once you press play, you have 48 hours to finish it.</p>
<p><a class="button" href="{{links.home}}">Watch now</a></p>`,
    text: `{{movieTitle}} is yours to watch{{#if expiresAt}} until {{datetime expiresAt}}{{/if}}. Once you press play, you have 48 hours to finish it.

Watch now: {{links.home}}`,
  },
  'trial-ending': {
    subject: 'Your Flix trial ends soon',
    html: `<p>Your free trial ends{{#if trialEndsAt}} on {{date trialEndsAt}}{{else}} soon{{/if}}. Your subscription then continues and your payment method is charged.</p>
<p>Nothing to do if you want to keep watching. Otherwise, <a href="{{links.account}}">cancel before then</a>.</p>`,
    text: `Your free trial ends{{#if trialEndsAt}} on {{date trialEndsAt}}{{else}} soon{{/if}}. Your subscription then continues and your payment method is charged.

Nothing to do if you want to keep watching. Otherwise, cancel before then: {{links.account}}`,
  },
  'rental-expiring': {
    subject: 'Your rental expires soon',
    html: `<p>Your rental of {{movieTitle}} expires at {{datetime expiresAt}}.</p>
<p><a class="button" href="{{links.home}}">Finish watching</a></p>`,
    text: `Your rental of {{movieTitle}} expires at {{datetime expiresAt}}.

Finish watching: {{links.home}}`,
  },
};
