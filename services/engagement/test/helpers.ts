export { eventually, startTestKeys } from '@flix/testkit';

/** Every event on the ENGAGEMENT stream whose payload mentions `needle` (e.g. a profile id), in stream order. */
export async function streamEvents(
  jsm: import('@flix/events').NatsClients['jsm'],
  needle: string,
): Promise<{ subject: string; data: Record<string, unknown>; msgId: string; type: string }[]> {
  const info = await jsm.streams.info('ENGAGEMENT');
  const out: { subject: string; data: Record<string, unknown>; msgId: string; type: string }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage('ENGAGEMENT', { seq }).catch(() => null);
    if (!m || !m.string().includes(needle)) continue;
    out.push({ subject: m.subject, data: JSON.parse(m.string()) as Record<string, unknown>, msgId: m.header?.get('Nats-Msg-Id') ?? '', type: m.header?.get('Flix-Event-Type') ?? '' });
  }
  return out;
}
