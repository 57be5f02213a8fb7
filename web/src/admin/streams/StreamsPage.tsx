import { useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import type { Api } from '../../api/client';
import type { EventStream, StreamConsumer } from '../../api/gen/flix/analytics/v1/resources';
import { useApi } from '../../app/services';
import { Button } from '../../ui/Button';
import { EmptyState, ErrorBanner, Spinner } from '../../ui/Feedback';
import { Page } from '../../ui/Page';
import { CliPanel } from './CliPanel';
import { count, formatBytes, formatClock, formatCount, formatInstant, formatWhen } from './format';
import { STREAMS_REFRESH_MS, streamKeys } from './keys';
import '../admin.css';
import './streams.css';
import { allPages } from '../QueryStates';

/** Every stream (analytics pages them by name; an operator wants them all on one screen). */
const allStreams = (api: Api): Promise<EventStream[]> => allPages((pageToken) => api.admin.streams({ pageSize: 100, pageToken }), (page) => page.streams);

async function allConsumers(api: Api, stream: string): Promise<StreamConsumer[]> {
  const consumers: StreamConsumer[] = [];
  let pageToken = '';
  do {
    const page = await api.admin.streamConsumers(stream, { pageSize: 100, pageToken });
    consumers.push(...(page.consumers ?? []));
    pageToken = page.nextPageToken ?? '';
  } while (pageToken);
  return consumers;
}

/** Work the consumer has not finished: not yet delivered, or delivered and not acknowledged. */
export const hasBacklog = (c: StreamConsumer): boolean => count(c.pending) > 0 || count(c.ackPending) > 0;

/** Event streams: what `nats stream ls` and `nats consumer report` show, read again every few seconds. */
export default function StreamsPage() {
  const api = useApi();
  const [live, setLive] = useState(true);
  const refetchInterval = live ? STREAMS_REFRESH_MS : false;
  const streams = useQuery({ queryKey: streamKeys.streams, queryFn: () => allStreams(api), refetchInterval });
  const names = streams.data?.map((s) => s.name) ?? [];
  const consumers = useQueries({
    queries: names.map((name) => ({ queryKey: streamKeys.consumers(name), queryFn: () => allConsumers(api, name), refetchInterval })),
  });
  const updatedAt = Math.max(streams.dataUpdatedAt, ...consumers.map((c) => c.dataUpdatedAt));
  const fetching = streams.isFetching || consumers.some((c) => c.isFetching);
  const refresh = () => {
    void streams.refetch();
    consumers.forEach((c) => void c.refetch());
  };
  const backlogged = consumers.flatMap((c) => c.data ?? []).filter(hasBacklog).length;

  return (
    <Page title="Event streams" className="admin-page">
      <div className="streams-toolbar">
        <p className="streams-updated">
          {streams.isSuccess ? (
            <>
              Updated at <time dateTime={new Date(updatedAt).toISOString()}>{formatClock(updatedAt)}</time>
              {live ? ` · every ${STREAMS_REFRESH_MS / 1000} s` : ' · paused'}
            </>
          ) : null}
        </p>
        <label className="admin-check streams-live">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
          <span>Auto-refresh</span>
        </label>
        <Button onClick={refresh} busy={fetching && !live}>
          Refresh now
        </Button>
      </div>

      <div className="streams-split">
        <div className="streams-main">
          {streams.isPending ? <Spinner label="Loading streams" /> : null}
          {streams.isError && !streams.data ? (
            <ErrorBanner title="The streams could not be read." error={streams.error}>
              <Button onClick={() => void streams.refetch()}>Try again</Button>
            </ErrorBanner>
          ) : null}
          {streams.isSuccess && streams.data.length === 0 ? <EmptyState title="No streams yet." /> : null}
          {streams.data && streams.data.length > 0 ? (
            <>
              <section aria-labelledby="streams-heading">
                <h2 id="streams-heading" className="streams-h2">
                  Streams
                </h2>
                <p className="admin-count">
                  {streams.data.length} stream{streams.data.length === 1 ? '' : 's'} ·{' '}
                  {backlogged === 0 ? 'every consumer is caught up' : `${backlogged} consumer${backlogged === 1 ? ' has' : 's have'} a backlog`}
                </p>
                <StreamsTable streams={streams.data} />
              </section>
              <section aria-labelledby="consumers-heading" className="streams-consumers">
                <h2 id="consumers-heading" className="streams-h2">
                  Consumers
                </h2>
                {streams.data.map((stream, i) => (
                  <ConsumersOf key={stream.name} stream={stream} query={consumers[i]} />
                ))}
              </section>
            </>
          ) : null}
        </div>
        <CliPanel
          commands={[
            { command: 'nats stream ls', what: 'Every stream, its subjects and size (the first table).' },
            { command: 'nats stream info ENGAGEMENT', what: 'One stream’s configuration and state.' },
            { command: 'nats consumer report ENGAGEMENT', what: 'A stream’s durable consumers and their backlog (the tables below).' },
            { command: "nats sub 'engagement.>'", what: 'Watch a stream’s events live.' },
          ]}
        />
      </div>
    </Page>
  );
}

function StreamsTable({ streams }: { streams: EventStream[] }) {
  return (
    <div className="admin-table-wrap" role="region" aria-label="Streams table" tabIndex={0}>
      <table className="admin-table">
        <thead>
          <tr>
            <th scope="col">Stream</th>
            <th scope="col">Subjects</th>
            <th scope="col" className="admin-num">
              Messages
            </th>
            <th scope="col" className="admin-num">
              Size
            </th>
            <th scope="col">First – last message</th>
            <th scope="col" className="admin-num">
              Consumers
            </th>
          </tr>
        </thead>
        <tbody>
          {streams.map((s) => (
            <tr key={s.name}>
              <th scope="row" className="admin-cell-strong">
                <span className="admin-mono streams-name">{s.name}</span>
                {s.description ? <span className="admin-sub streams-description">{s.description}</span> : null}
                {s.name === 'DLQ' ? (
                  <Link className="admin-sub" to="/admin/dead-letters">
                    Open dead letters
                  </Link>
                ) : null}
              </th>
              <td>
                <ul className="streams-subjects admin-mono">
                  {(s.subjects ?? []).map((subject) => (
                    <li key={subject}>
                      {subject}
                    </li>
                  ))}
                </ul>
              </td>
              <td className="admin-num">{formatCount(s.messages)}</td>
              <td className="admin-num" title={`${formatCount(s.bytes)} bytes`}>
                {formatBytes(s.bytes)}
              </td>
              <td className="admin-cell-date">
                <StoredRange stream={s} />
              </td>
              <td className="admin-num">{s.consumerCount ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The oldest and newest message still stored: their sequences, and when they were stored. */
function StoredRange({ stream }: { stream: EventStream }) {
  if (!count(stream.lastSequence) || !stream.lastTime) return <span className="muted">—</span>;
  const time = (iso: string | undefined) =>
    iso ? (
      <time dateTime={iso} title={formatInstant(iso)}>
        {formatWhen(iso)}
      </time>
    ) : (
      '?'
    );
  return (
    <>
      #{formatCount(stream.firstSequence)} – #{formatCount(stream.lastSequence)}
      <span className="admin-sub">
        {time(stream.firstTime)} – {time(stream.lastTime)}
      </span>
    </>
  );
}

type ConsumersQuery = { data?: StreamConsumer[]; isPending: boolean; isError: boolean; error: unknown; refetch: () => unknown };

function ConsumersOf({ stream, query }: { stream: EventStream; query: ConsumersQuery | undefined }) {
  const headingId = `consumers-${stream.name}`;
  const list = query?.data ?? [];
  return (
    <section className="streams-stream" aria-labelledby={headingId}>
      <div className="streams-stream-head">
        <h3 id={headingId} className="admin-mono">
          {stream.name}
        </h3>
        <code className="streams-cli-inline">nats consumer report {stream.name}</code>
      </div>
      {!query || query.isPending ? <Spinner label={`Loading the consumers of ${stream.name}`} /> : null}
      {query?.isError && !query.data ? (
        <ErrorBanner title={`The consumers of ${stream.name} could not be read.`} error={query.error}>
          <Button onClick={() => void query.refetch()}>Try again</Button>
        </ErrorBanner>
      ) : null}
      {query?.data && list.length === 0 ? <p className="muted streams-none">No durable consumer reads this stream.</p> : null}
      {list.length > 0 ? (
        <div className="admin-table-wrap" role="region" aria-label={`Consumers of ${stream.name}`} tabIndex={0}>
          <table className="admin-table streams-consumer-table">
            <thead>
              <tr>
                <th scope="col">Consumer</th>
                <th scope="col" className="admin-num">
                  Pending
                </th>
                <th scope="col" className="admin-num">
                  Ack pending
                </th>
                <th scope="col" className="admin-num">
                  Redelivered
                </th>
                <th scope="col" className="admin-num">
                  Last delivered
                </th>
                <th scope="col" className="admin-num">
                  Ack floor
                </th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.name} className={hasBacklog(c) ? 'streams-row-backlog' : undefined}>
                  <th scope="row" className="admin-cell-strong">
                    <span className="admin-mono">{c.name}</span>
                    <span className="admin-sub admin-mono">{c.filterSubject || 'all subjects'}</span>
                  </th>
                  <td className="admin-num">{formatCount(c.pending)}</td>
                  <td className="admin-num">{formatCount(c.ackPending)}</td>
                  <td className="admin-num">{formatCount(c.redelivered)}</td>
                  <td className="admin-num">#{formatCount(c.lastDeliveredSequence)}</td>
                  <td className="admin-num">#{formatCount(c.ackFloorSequence)}</td>
                  <td>
                    <ConsumerState consumer={c} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function ConsumerState({ consumer }: { consumer: StreamConsumer }) {
  if (count(consumer.redelivered) > 0) return <span className="badge badge-danger">Redelivering</span>;
  if (hasBacklog(consumer)) return <span className="badge badge-warn">Backlog</span>;
  return <span className="badge badge-ok">Caught up</span>;
}
