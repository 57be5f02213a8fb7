import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { RouteObject } from 'react-router';
import { Code } from '../../api/errors';
import StudioLayout from '../StudioLayout';
import { ADMIN, apiError, renderStudio } from '../test-support';
import DeadLettersPage from './DeadLettersPage';

const routes: RouteObject[] = [{ path: 'admin', element: <StudioLayout />, children: [{ path: 'dead-letters', element: <DeadLettersPage /> }] }];

const rating = { eventId: 'ev-7', movieId: 'm-1', profileId: 'p-1', stars: 4 };
const letter = (sequence: number, extra: Record<string, unknown> = {}) => ({
  sequence: String(sequence),
  subject: 'engagement.rating.set',
  originalStream: 'ENGAGEMENT',
  originalSequence: '4242',
  consumer: 'catalog',
  error: 'handler failed 5 times: mongo down',
  deliveryCount: 5,
  parkTime: '2026-12-04T19:00:00Z',
  eventId: 'ev-7',
  eventType: 'flix.engagement.v1.RatingSet',
  payload: rating,
  payloadText: '',
  ...extra,
});

const replayed = (sequence: number) => ({
  sequence: String(sequence),
  kind: 'KIND_REPLAYED',
  actor: ADMIN.id,
  actionTime: '2026-12-04T19:10:00Z',
  subject: 'engagement.rating.set',
  consumer: 'catalog',
  replayMessageId: `replay-${sequence}`,
  replayStream: 'ENGAGEMENT',
  replaySequence: '1600',
  eventId: 'ev-7',
});

/** The focusable box above the list that says what was just done. */
const notice = () => document.querySelector<HTMLElement>('.admin-notice')!;

describe('Studio: Dead letters', () => {
  it('lists the DLQ newest first with each message’s subject, error and payload, in pages', async () => {
    const deadLetters = vi.fn(async ({ pageToken }: { pageToken?: string }) =>
      pageToken
        ? { deadLetters: [letter(3, { payload: undefined, payloadText: 'not json {', consumer: 'recommendations', error: 'undecodable payload' })], totalSize: '3' }
        : { deadLetters: [letter(9), letter(8, { eventId: 'ev-8' })], nextPageToken: 'next', totalSize: '3' },
    );
    renderStudio('/admin/dead-letters', { admin: { deadLetters } }, { routes });

    const articles = await screen.findAllByRole('article');
    expect(screen.getByText(/^3 dead letters in the DLQ, newest first · showing 2/)).toBeTruthy();
    expect(articles).toHaveLength(2);
    expect(articles.map((a) => a.getAttribute('aria-labelledby'))).toEqual(['dlq-9', 'dlq-8']);
    const nine = within(articles[0]);
    expect(nine.getByText(/DLQ #9/)).toBeTruthy();
    expect(nine.getByText('handler failed 5 times: mongo down')).toBeTruthy();
    expect(nine.getByText('flix.engagement.v1.RatingSet')).toBeTruthy();
    expect(nine.getByText('ENGAGEMENT #4242')).toBeTruthy();
    expect(nine.getByText('Payload (JSON)').closest('details')!.querySelector('pre')!.textContent).toBe(JSON.stringify(rating, null, 2));

    fireEvent.click(screen.getByRole('button', { name: 'Load older' }));
    await waitFor(() => expect(screen.getAllByRole('article')).toHaveLength(3));
    const three = within(screen.getAllByRole('article')[2]);
    expect(three.getByText('Payload (text)').closest('details')!.querySelector('pre')!.textContent).toBe('not json {');
    expect(deadLetters).toHaveBeenLastCalledWith({ pageSize: 20, pageToken: 'next' });
    expect(screen.queryByRole('button', { name: 'Load older' })).toBeNull();
  });

  it('replays a message once after a confirmation, shows who did it and the new message id, and drops it from the list', async () => {
    let parked = [letter(9), letter(8, { eventId: 'ev-8' })];
    const deadLetters = vi.fn(async () => ({ deadLetters: parked, totalSize: String(parked.length) }));
    let answer: (v: unknown) => void = () => undefined;
    const replayDeadLetter = vi.fn(
      (seq: string) =>
        new Promise((resolve) => {
          answer = (v) => {
            parked = parked.filter((d) => d.sequence !== seq);
            resolve(v);
          };
        }),
    );
    const discardDeadLetter = vi.fn();
    renderStudio('/admin/dead-letters', { admin: { deadLetters, replayDeadLetter, discardDeadLetter } }, { routes });

    const card = (await screen.findAllByRole('article'))[0];
    fireEvent.click(within(card).getByRole('button', { name: 'Replay dead letter #9 (engagement.rating.set)' }));
    const question = within(card).getByRole('group', { name: /Replay dead letter #9\? It is re-published to engagement.rating.set as message replay-9/ });
    expect(document.activeElement).toBe(question);
    const yes = within(question).getByRole('button', { name: 'Yes, replay #9' });
    fireEvent.click(yes);
    fireEvent.click(yes);
    fireEvent.doubleClick(yes);
    // While the first request is on its way, neither action can be asked again.
    expect((yes as HTMLButtonElement).disabled).toBe(true);
    expect((within(card).getByRole('button', { name: 'Discard dead letter #9 (engagement.rating.set)' }) as HTMLButtonElement).disabled).toBe(true);
    answer(replayed(9));

    await waitFor(() => expect(notice().textContent).toMatch(/^Dead letter #9 \(engagement.rating.set, parked by catalog\) was replayed by you \(ops@flix.test\) at .+: re-published as replay-9 to ENGAGEMENT #1600\.$/));
    expect(within(notice()).getByRole('status')).toBeTruthy();
    expect(replayDeadLetter).toHaveBeenCalledTimes(1);
    expect(replayDeadLetter).toHaveBeenCalledWith('9');
    expect(discardDeadLetter).not.toHaveBeenCalled();
    await waitFor(() => expect(screen.getAllByRole('article')).toHaveLength(1));
    expect(screen.queryByText(/DLQ #9/)).toBeNull();
    expect(screen.getByText(/^1 dead letter in the DLQ/)).toBeTruthy();
    await waitFor(() => expect(document.activeElement?.className).toContain('admin-notice'));
    expect(within(screen.getByRole('region', { name: 'Done on this page' })).getByText(/replay-9/)).toBeTruthy();
  });

  it('discards after a confirmation, and shows the API’s refusal in place when someone acted first', async () => {
    let parked = [letter(5), letter(4)];
    const deadLetters = vi.fn(async () => ({ deadLetters: parked, totalSize: String(parked.length) }));
    const discardDeadLetter = vi
      .fn()
      .mockImplementationOnce(async () => {
        parked = parked.filter((d) => d.sequence !== '5');
        return { sequence: '5', kind: 'KIND_DISCARDED', actor: 'u-other', actionTime: '2026-12-04T19:10:00Z', subject: 'engagement.rating.set', consumer: 'catalog' };
      })
      .mockRejectedValueOnce(apiError(400, Code.INVALID_ARGUMENT, 'sequence: dead letter 4 was already replayed', [{ field: 'sequence', description: 'dead letter 4 was already replayed' }]));
    renderStudio('/admin/dead-letters', { admin: { deadLetters, discardDeadLetter, replayDeadLetter: vi.fn() } }, { routes });

    const [five, four] = await screen.findAllByRole('article');
    fireEvent.click(within(five).getByRole('button', { name: /^Discard dead letter #5/ }));
    fireEvent.click(within(five).getByRole('button', { name: 'Keep it' }));
    expect(discardDeadLetter).not.toHaveBeenCalled();
    fireEvent.click(within(five).getByRole('button', { name: /^Discard dead letter #5/ }));
    fireEvent.click(within(five).getByRole('button', { name: 'Yes, discard #5' }));
    await waitFor(() => expect(notice().textContent).toMatch(/^Dead letter #5 .* was discarded by u-other at /));
    await waitFor(() => expect(screen.getAllByRole('article')).toHaveLength(1));

    fireEvent.click(within(four).getByRole('button', { name: /^Discard dead letter #4/ }));
    fireEvent.click(within(four).getByRole('button', { name: 'Yes, discard #4' }));
    expect((await within(four).findByRole('alert')).textContent).toMatch(/already replayed/);
    expect(screen.getAllByRole('article')).toHaveLength(1);
  });

  it('says when the DLQ is empty', async () => {
    renderStudio('/admin/dead-letters', { admin: { deadLetters: vi.fn(async () => ({ deadLetters: [] })) } }, { routes });
    expect(await screen.findByText('No message is waiting.')).toBeTruthy();
    expect(screen.getByText(/^The DLQ is empty/)).toBeTruthy();
    expect(screen.getByText('nats stream view DLQ')).toBeTruthy();
  });
});
