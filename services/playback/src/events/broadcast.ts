import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Logger } from '@flix/logging';
import type { SessionBroadcast } from '../domain/ports.js';

/** Core NATS (no stream: it only matters to instances running now); outside every event stream's subjects. */
const ENDED = '_flix.playback.sessions_ended';
const RECHECK = '_flix.playback.recheck_entitlements';

/** Keeps every instance's in-memory sessions in line with what another instance decided. */
export class NatsSessionBroadcast implements SessionBroadcast {
  private readonly subs: Subscription[] = [];

  constructor(private readonly nc: NatsConnection, private readonly logger: Logger) {}

  listen(handlers: { ended(ids: string[]): void; recheck(userId: string): void }): void {
    const loop = async (sub: Subscription, fn: (data: string) => void) => {
      for await (const m of sub) {
        try {
          fn(m.string());
        } catch (err) {
          this.logger.warn({ err }, 'bad playback broadcast ignored');
        }
      }
    };
    const ended = this.nc.subscribe(ENDED);
    const recheck = this.nc.subscribe(RECHECK);
    this.subs.push(ended, recheck);
    void loop(ended, (d) => handlers.ended(JSON.parse(d) as string[]));
    void loop(recheck, (d) => handlers.recheck(d));
  }

  sessionsEnded(sessionIds: string[]): void {
    if (!this.nc.isClosed()) this.nc.publish(ENDED, JSON.stringify(sessionIds));
  }

  recheckEntitlements(userId: string): void {
    if (!this.nc.isClosed()) this.nc.publish(RECHECK, userId);
  }

  close(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}
