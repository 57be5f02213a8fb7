/**
 * The whole product with nothing faked, as the journeys (and bench/web.ts) use it: the real
 * Stripe SDK against the Stripe emulator (hosted checkout, signed webhooks, a movable clock that
 * billing follows), the real Mux SDK against the Mux emulator (playback creates its URL signing
 * key there), the local video origin checking the signed tokens, and every service behind the
 * local gateway — optionally with the web app served through it.
 */
import { startMuxEmulator, type MuxEmulator } from '@flix/mux-emulator';
import { startStripeEmulator, type StripeEmulator } from '@flix/stripe-emulator';
import { startVideoOrigin, type VideoOrigin } from '@flix/video-origin';
import { startTestStack, type TestStack, type TestStackOptions } from './stack.js';

export interface JourneyStack {
  stack: TestStack;
  stripe: StripeEmulator;
  mux: MuxEmulator;
  origin: VideoOrigin;
  stop(): Promise<void>;
}

export async function startJourneyStack(
  name: string,
  options: { web?: boolean; identity?: Record<string, string>; recommendations?: Record<string, string> } = {},
): Promise<JourneyStack> {
  const STRIPE = { apiKey: `sk_test_${name}`, webhookSecret: `whsec_${name}` };
  const MUX = { tokenId: `${name}-token`, tokenSecret: `${name}-secret`, webhookSecret: `${name}-webhook-secret` };
  const stripe = await startStripeEmulator({ port: 0, ...STRIPE, webhookRetry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 200 } });
  // Processing takes a moment, as at Mux, so an upload is seen passing through "processing".
  const mux = await startMuxEmulator({ port: 0, ...MUX, processingMs: 1500 });
  const origin = await startVideoOrigin({ signingKeys: { muxEmulatorUrl: mux.url } });
  const clock = { now: () => new Date(stripe.now() * 1000) };
  const stackOptions: TestStackOptions = {
    billing: { STRIPE_API_BASE: stripe.url, STRIPE_SECRET_KEY: STRIPE.apiKey, STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret },
    billingOverrides: { clock },
    // The catalog creates direct uploads at the emulator, whose signed webhooks (sent to the gateway) move each asset to ready.
    catalog: { MUX_BASE_URL: mux.url, MUX_TOKEN_ID: MUX.tokenId, MUX_TOKEN_SECRET: MUX.tokenSecret, MUX_WEBHOOK_SECRET: MUX.webhookSecret },
    // No key of the test's own: playback creates a signing key through the Mux API, as make run does.
    playback: { MUX_BASE_URL: mux.url, MUX_TOKEN_ID: MUX.tokenId, MUX_TOKEN_SECRET: MUX.tokenSecret, MUX_SIGNING_KEY_ID: '', MUX_SIGNING_KEY_PRIVATE: '', MUX_STREAM_BASE_URL: origin.url, MUX_IMAGE_BASE_URL: origin.url },
    recommendations: options.recommendations,
    // The emulator's origin is where Studio PUTs video files (Mux's storage URL): connect-src needs it.
    web: options.web ? { mediaOrigins: [origin.url, mux.url] } : undefined,
  };
  const stack = await startTestStack(options.identity ?? {}, stackOptions);
  stripe.setWebhookUrl(`${stack.gatewayUrl}/webhooks/stripe`);
  mux.setWebhookUrl(`${stack.gatewayUrl}/webhooks/mux`);
  return {
    stack,
    stripe,
    mux,
    origin,
    stop: async () => {
      await stack.stop();
      await origin.close();
      await mux.close();
      await stripe.close();
    },
  };
}
