import { createLogger, type Logger } from '@flix/logging';
import { UserRegistered, UserUpdated } from '@flix/proto/flix/identity/v1/events';
import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { defineEvent } from '../src/index.js';

export const UserRegisteredEvent = defineEvent({
  subject: 'identity.user.registered',
  type: 'flix.identity.v1.UserRegistered',
  codec: UserRegistered,
});

export const UserUpdatedEvent = defineEvent({
  subject: 'identity.user.updated',
  type: 'flix.identity.v1.UserUpdated',
  codec: UserUpdated,
});

export function testLogger(): Logger {
  return createLogger('events-test', { level: process.env.LOG_LEVEL ?? 'silent' });
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${ms} ms${lastErr ? `: ${String(lastErr)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every message currently stored in a stream (optionally one subject), oldest first. */
export async function streamMessages(jsm: JetStreamManager, stream: string, subject?: string): Promise<StoredMsg[]> {
  const info = await jsm.streams.info(stream);
  const out: StoredMsg[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    try {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (m && (!subject || m.subject === subject)) out.push(m);
    } catch {
      // deleted message: skip
    }
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
