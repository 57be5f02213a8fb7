import { useInfiniteQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import type { ListDeadLettersResponse } from '../../api/gen/flix/analytics/v1/analytics_service';
import { DeadLetterAction_Kind, type DeadLetter, type DeadLetterAction } from '../../api/gen/flix/analytics/v1/resources';
import { ConfirmAction } from '../../account/ConfirmAction';
import { useApi, useSessionState } from '../../app/services';
import { Button } from '../../ui/Button';
import { EmptyState, ErrorBanner, Notice, Spinner } from '../../ui/Feedback';
import { Page } from '../../ui/Page';
import { CliPanel } from './CliPanel';
import { count, formatClock, formatCount, formatInstant } from './format';
import { DEAD_LETTERS_REFRESH_MS, streamKeys } from './keys';
import '../admin.css';
import './streams.css';
import { LoadMore } from '../QueryStates';

const PAGE_SIZE = 20;
type Kind = 'replay' | 'discard';

/** The payload as an operator reads it: indented JSON, or the text the consumer could not decode. */
export function payloadText(dl: DeadLetter): { label: string; text: string } {
  if (dl.payload !== undefined && dl.payload !== null) return { label: 'Payload (JSON)', text: JSON.stringify(dl.payload, null, 2) };
  return { label: 'Payload (text)', text: dl.payloadText ?? '' };
}

/** Dead letters: the DLQ newest first, each message's subject, error and payload, and replay / discard. */
export default function DeadLettersPage() {
  const api = useApi();
  const session = useSessionState();
  const queryClient = useQueryClient();
  const me = session.status === 'signed-in' ? session.user : undefined;
  const [results, setResults] = useState<DeadLetterAction[]>([]);
  // Sequences with a request on its way: a second click (or the other action) waits for the answer.
  const inFlight = useRef(new Set<string>());
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  const noticeRef = useRef<HTMLDivElement>(null);

  const letters = useInfiniteQuery({
    queryKey: streamKeys.deadLetters,
    queryFn: ({ pageParam }) => api.admin.deadLetters({ pageSize: PAGE_SIZE, pageToken: pageParam }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextPageToken || undefined,
    refetchInterval: DEAD_LETTERS_REFRESH_MS,
  });
  const list = letters.data?.pages.flatMap((p) => p.deadLetters ?? []) ?? [];
  const total = count(letters.data?.pages[0]?.totalSize);

  const act = async (dl: DeadLetter, kind: Kind) => {
    if (inFlight.current.has(dl.sequence)) return;
    inFlight.current.add(dl.sequence);
    setPending(new Set(inFlight.current));
    try {
      const record = kind === 'replay' ? await api.admin.replayDeadLetter(dl.sequence) : await api.admin.discardDeadLetter(dl.sequence);
      setResults((prev) => [record, ...prev.filter((r) => r.sequence !== record.sequence)]);
      // It has left the DLQ: gone from the list now, and the total follows.
      queryClient.setQueryData<InfiniteData<ListDeadLettersResponse, string>>(streamKeys.deadLetters, (data) =>
        data
          ? {
              ...data,
              pages: data.pages.map((page, i) => ({
                ...page,
                deadLetters: (page.deadLetters ?? []).filter((d) => d.sequence !== dl.sequence),
                totalSize: i === 0 ? String(Math.max(0, count(page.totalSize) - 1)) : page.totalSize,
              })),
            }
          : data,
      );
      void queryClient.invalidateQueries({ queryKey: streamKeys.all });
      // The message's buttons are gone: keyboard focus goes to what happened instead.
      requestAnimationFrame(() => noticeRef.current?.focus());
    } finally {
      inFlight.current.delete(dl.sequence);
      setPending(new Set(inFlight.current));
    }
  };

  const actor = (id: string) => (me && id === me.id ? `you (${me.email})` : id || 'an unknown account');

  return (
    <Page title="Dead letters" className="admin-page">
      <div ref={noticeRef} tabIndex={-1} className="admin-notice streams-notice">
        {results[0] ? (
          <Notice tone="success">
            <ActionRecord record={results[0]} actor={actor} />
          </Notice>
        ) : null}
      </div>

      <div className="streams-split">
        <section className="streams-main" aria-labelledby="dlq-heading" aria-busy={letters.isFetching || undefined}>
          <h2 id="dlq-heading" className="visually-hidden">
            Messages in the DLQ
          </h2>
          {letters.isPending ? <Spinner label="Loading dead letters" /> : null}
          {letters.isError && !letters.data ? (
            <ErrorBanner title="The dead letters could not be read." error={letters.error}>
              <Button onClick={() => void letters.refetch()}>Try again</Button>
            </ErrorBanner>
          ) : null}
          {letters.isSuccess ? (
            <p className="admin-count">
              {total === 0 && list.length === 0
                ? 'The DLQ is empty'
                : `${formatCount(total)} dead letter${total === 1 ? '' : 's'} in the DLQ, newest first${list.length < total ? ` · showing ${list.length}` : ''}`}
              {letters.dataUpdatedAt ? ` · updated at ${formatClock(letters.dataUpdatedAt)}` : ''}
            </p>
          ) : null}
          {letters.isSuccess && list.length === 0 ? (
            <EmptyState title="No message is waiting.">
              <p className="muted">When a consumer gives up on an event, it is parked here with its error.</p>
            </EmptyState>
          ) : null}
          {list.length > 0 ? (
            <ul className="streams-dlq-list">
              {list.map((dl) => (
                <li key={dl.sequence}>
                  <DeadLetterCard dl={dl} busy={pending.has(dl.sequence)} onAct={(kind) => act(dl, kind)} />
                </li>
              ))}
            </ul>
          ) : null}
          <LoadMore query={letters} label="Load older" errorTitle="Older dead letters could not be loaded." />
        </section>

        <div className="streams-main">
          {results.length > 0 ? (
            <section className="admin-panel" aria-labelledby="dlq-done-heading">
              <h2 id="dlq-done-heading" className="streams-h2">
                Done on this page
              </h2>
              <ul className="streams-results">
                {results.map((r) => (
                  <li key={r.sequence}>
                    <ActionRecord record={r} actor={actor} />
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
          <CliPanel
            commands={[
              { command: 'nats stream view DLQ', what: 'The parked messages with their Flix-Dlq-* headers (oldest first).' },
              { command: 'nats stream get DLQ <seq>', what: 'One message, by the # shown here.' },
              { command: 'nats stream rmm DLQ <seq> -f', what: 'Deletes one, as Discard does — without a record of who did it.' },
            ]}
          />
        </div>
      </div>
    </Page>
  );
}

function ActionRecord({ record, actor }: { record: DeadLetterAction; actor: (id: string) => string }) {
  const when = record.actionTime ? formatInstant(record.actionTime) : '';
  if (record.kind === DeadLetterAction_Kind.KIND_REPLAYED) {
    return (
      <span>
        Dead letter #{record.sequence} (<span className="admin-mono">{record.subject}</span>, parked by {record.consumer}) was replayed by {actor(record.actor)}
        {when ? ` at ${when}` : ''}: re-published as <span className="admin-mono">{record.replayMessageId}</span>
        {record.replayStream ? ` to ${record.replayStream} #${record.replaySequence}` : ''}.
      </span>
    );
  }
  return (
    <span>
      Dead letter #{record.sequence} (<span className="admin-mono">{record.subject}</span>, parked by {record.consumer}) was discarded by {actor(record.actor)}
      {when ? ` at ${when}` : ''}.
    </span>
  );
}

function DeadLetterCard({ dl, busy, onAct }: { dl: DeadLetter; busy: boolean; onAct: (kind: Kind) => Promise<void> }) {
  const headingId = `dlq-${dl.sequence}`;
  const payload = payloadText(dl);
  const name = `#${dl.sequence} (${dl.subject})`;
  return (
    <article className="streams-dlq" aria-labelledby={headingId}>
      <div className="streams-dlq-head">
        <h3 id={headingId}>
          <span className="admin-mono">{dl.subject || '(no subject)'}</span>
        </h3>
        <span className="muted admin-num">
          DLQ #{dl.sequence} · parked <time dateTime={dl.parkTime}>{formatInstant(dl.parkTime)}</time>
        </span>
      </div>
      <p className="streams-dlq-error">
        <span className="visually-hidden">Error: </span>
        {dl.error || 'No reason was recorded.'}
      </p>
      <dl className="admin-facts">
        <dt>Consumer</dt>
        <dd className="admin-mono">{dl.consumer}</dd>
        <dt>Deliveries</dt>
        <dd>{dl.deliveryCount ?? 0}</dd>
        <dt>Event type</dt>
        <dd className="admin-mono">{dl.eventType || '—'}</dd>
        <dt>Event ID</dt>
        <dd className="admin-mono">{dl.eventId || '—'}</dd>
        <dt>Stored at</dt>
        <dd className="admin-mono">{dl.originalStream ? `${dl.originalStream} #${dl.originalSequence ?? 0}` : '—'}</dd>
      </dl>
      <details>
        <summary>{payload.label}</summary>
        <pre className="streams-pre" tabIndex={0} aria-label={`${payload.label} of dead letter ${dl.sequence}`}>
          {payload.text || '(empty)'}
        </pre>
      </details>
      <div className="streams-dlq-actions">
        <ConfirmAction
          label="Replay"
          accessibleLabel={`Replay dead letter ${name}`}
          variant="primary"
          confirmVariant="primary"
          prompt={`Replay dead letter #${dl.sequence}? It is re-published to ${dl.subject} as message replay-${dl.sequence}, keeping event ID ${dl.eventId || '(none)'}, and leaves the DLQ.`}
          confirmLabel={`Yes, replay #${dl.sequence}`}
          cancelLabel="Not now"
          disabled={busy}
          onConfirm={() => onAct('replay')}
        />
        <ConfirmAction
          label="Discard"
          accessibleLabel={`Discard dead letter ${name}`}
          prompt={`Discard dead letter #${dl.sequence}? It is deleted from the DLQ and never re-published.`}
          confirmLabel={`Yes, discard #${dl.sequence}`}
          cancelLabel="Keep it"
          disabled={busy}
          onConfirm={() => onAct('discard')}
        />
        <code className="streams-cli-inline">nats stream get DLQ {dl.sequence}</code>
      </div>
    </article>
  );
}
