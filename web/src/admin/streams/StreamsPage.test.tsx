import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RouteObject } from 'react-router';
import StudioLayout from '../StudioLayout';
import { apiError, renderStudio } from '../test-support';
import { Code } from '../../api/errors';
import DeadLettersPage from './DeadLettersPage';
import { formatBytes, formatWhen } from './format';
import StreamsPage from './StreamsPage';

const routes: RouteObject[] = [
  {
    path: 'admin',
    element: <StudioLayout />,
    children: [
      { path: 'streams', element: <StreamsPage /> },
      { path: 'dead-letters', element: <DeadLettersPage /> },
    ],
  },
];

const stream = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  description: '',
  subjects: [`${name.toLowerCase()}.>`],
  messages: '1520',
  bytes: '1468006',
  firstSequence: '1',
  firstTime: '2026-12-04T09:00:00Z',
  lastSequence: '1520',
  lastTime: '2026-12-04T19:00:05Z',
  consumerCount: 2,
  ...extra,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Studio: Event streams', () => {
  it('formats sizes as the NATS CLI does', () => {
    expect(formatBytes(undefined)).toBe('0 B');
    expect(formatBytes('900')).toBe('900 B');
    expect(formatBytes('1468006')).toBe('1.4 MiB');
    expect(formatBytes(String(25 * 1024 ** 3))).toBe('25 GiB');
  });

  it('keeps times short in the table: the time alone today, the date too otherwise', () => {
    const now = new Date(2026, 11, 4, 20, 0, 0);
    expect(formatWhen(new Date(2026, 11, 4, 19, 15, 39).toISOString(), now)).toBe(new Date(2026, 11, 4, 19, 15, 39).toLocaleTimeString(undefined, { timeStyle: 'medium' }));
    expect(formatWhen(new Date(2026, 11, 3, 19, 15).toISOString(), now)).toMatch(/^Dec 3, 7:15\sPM$/);
    expect(formatWhen(new Date(2025, 0, 9, 8, 5).toISOString(), now)).toMatch(/^Jan 9, 2025, 8:05\sAM$/);
    expect(formatWhen(undefined, now)).toBe('');
  });

  // Many role queries over two tables: slow in jsdom on a busy machine.
  it('shows every stream with its size, and each stream’s consumers with their backlog highlighted', async () => {
    const streams = vi.fn(async () => ({ streams: [stream('ENGAGEMENT'), stream('DLQ', { messages: undefined, bytes: undefined, firstSequence: undefined, lastSequence: undefined, firstTime: undefined, lastTime: undefined, consumerCount: 1, subjects: ['dlq.>'] })], nextPageToken: '' }));
    const streamConsumers = vi.fn(async (name: string) =>
      name === 'ENGAGEMENT'
        ? {
            consumers: [
              { stream: 'ENGAGEMENT', name: 'catalog', filterSubject: 'engagement.rating.>', pending: '42', ackPending: '3', lastDeliveredSequence: '1478', ackFloorSequence: '1475', createTime: '2026-12-01T00:00:00Z' },
              { stream: 'ENGAGEMENT', name: 'analytics', filterSubject: '', lastDeliveredSequence: '1520', ackFloorSequence: '1520', createTime: '2026-12-01T00:00:00Z' },
              { stream: 'ENGAGEMENT', name: 'recommendations', filterSubject: 'engagement.>', ackPending: '1', redelivered: '1', lastDeliveredSequence: '1520', ackFloorSequence: '1519' },
            ],
            nextPageToken: '',
          }
        : { consumers: [{ stream: 'DLQ', name: 'analytics', lastDeliveredSequence: '0', ackFloorSequence: '0' }] },
    );
    renderStudio('/admin/streams', { admin: { streams, streamConsumers } }, { routes });

    const streamsTable = within(await screen.findByRole('region', { name: 'Streams table' }));
    const engagement = streamsTable.getByRole('rowheader', { name: /ENGAGEMENT/ }).closest('tr')!;
    expect(within(engagement).getByText('engagement.>')).toBeTruthy();
    expect(within(engagement).getByText('1,520')).toBeTruthy();
    expect(within(engagement).getByText('1.4 MiB')).toBeTruthy();
    expect(within(engagement).getByText('#1 – #1,520')).toBeTruthy();
    const dlq = streamsTable.getByRole('rowheader', { name: /DLQ/ }).closest('tr')!;
    expect(within(dlq).getByText('0 B')).toBeTruthy();
    expect(within(dlq).getAllByText('—')).toHaveLength(1);
    expect(within(dlq).getByRole('link', { name: 'Open dead letters' }).getAttribute('href')).toBe('/admin/dead-letters');

    const consumers = within(await screen.findByRole('region', { name: 'Consumers of ENGAGEMENT' }));
    const catalog = consumers.getByRole('rowheader', { name: /catalog/ }).closest('tr')!;
    expect(within(catalog).getAllByRole('cell').map((c) => c.textContent)).toEqual(['42', '3', '0', '#1,478', '#1,475', 'Backlog']);
    expect(catalog.className).toContain('streams-row-backlog');
    const analytics = consumers.getByRole('rowheader', { name: /analytics/ }).closest('tr')!;
    expect(within(analytics).getByText('Caught up')).toBeTruthy();
    expect(within(analytics).getByText('all subjects')).toBeTruthy();
    expect(analytics.className).not.toContain('streams-row-backlog');
    expect(within(consumers.getByRole('rowheader', { name: /recommendations/ }).closest('tr')!).getByText('Redelivering')).toBeTruthy();
    expect(screen.getByText('2 streams · 2 consumers have a backlog')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'ENGAGEMENT', level: 3 })).toBeTruthy();
    // The CLI equivalents: beside the page, and above each stream's consumers.
    expect(within(screen.getByRole('complementary', { name: 'With the NATS CLI' })).getByText('nats stream ls')).toBeTruthy();
    expect(within(screen.getByRole('region', { name: 'ENGAGEMENT' })).getByText('nats consumer report ENGAGEMENT')).toBeTruthy();
    expect(streamConsumers).toHaveBeenCalledWith('DLQ', expect.anything());
    expect(screen.getByText(/^Updated at/)).toBeTruthy();
  });

  it('reads the counts again every few seconds until auto-refresh is switched off', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let pending = 5;
    const streams = vi.fn(async () => ({ streams: [stream('BILLING')] }));
    const streamConsumers = vi.fn(async () => ({ consumers: [{ stream: 'BILLING', name: 'identity', pending: String(pending) }] }));
    renderStudio('/admin/streams', { admin: { streams, streamConsumers } }, { routes });
    const row = async () => within(await screen.findByRole('region', { name: 'Consumers of BILLING' })).getByRole('rowheader', { name: /identity/ }).closest('tr')!;
    expect(within(await row()).getByText('5')).toBeTruthy();

    pending = 0;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(5_100);
    });
    await waitFor(async () => expect(within(await row()).getByText('Caught up')).toBeTruthy());
    const calls = streams.mock.calls.length;
    expect(calls).toBeGreaterThanOrEqual(2);

    fireEvent.click(screen.getByRole('checkbox', { name: 'Auto-refresh' }));
    expect(screen.getByText(/paused/)).toBeTruthy();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(20_000);
    });
    expect(streams.mock.calls.length).toBe(calls);
  });

  it('says when the streams cannot be read, and tries again', async () => {
    const streams = vi.fn().mockRejectedValueOnce(apiError(503, Code.UNAVAILABLE, 'nats unavailable')).mockResolvedValueOnce({ streams: [] });
    renderStudio('/admin/streams', { admin: { streams, streamConsumers: vi.fn() } }, { routes });
    expect((await screen.findByRole('alert')).textContent).toMatch(/The streams could not be read/);
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No streams yet.')).toBeTruthy();
  });
});
