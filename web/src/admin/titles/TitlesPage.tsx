import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { useApi } from '../../app/services';
import { useDebounced } from '../../browse/useDebounced';
import { formatDateTime } from '../../lib/format';
import { ButtonLink } from '../../ui/Button';
import { EmptyState, Notice } from '../../ui/Feedback';
import { SelectField, TextField } from '../../ui/Field';
import { Page } from '../../ui/Page';
import { accessWords, SOURCE_OPTIONS, STATUS_OPTIONS, statusWords, titleKeys, VIDEO_OPTIONS, videoWords, type TitleFilters } from './titles';
import '../admin.css';
import './titles.css';
import { LoadMore, LoadState } from '../QueryStates';

const PAGE_SIZE = 25;

/**
 * Titles: every title in any state, filtered by lifecycle, video and source (kept in the URL so a
 * filtered list can be shared and survives Back), searched as you type, most recently changed first.
 */
export default function TitlesPage() {
  const api = useApi();
  const location = useLocation();
  const notice = (location.state as { notice?: string } | null)?.notice;
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const q = useDebounced(search.trim(), 300);
  const filters: TitleFilters = { q, status: params.get('status') ?? '', videoStatus: params.get('video') ?? '', source: params.get('source') ?? 'flix' };

  // The settled search goes into the URL too (replacing, so Back is not one step per word).
  useEffect(() => {
    if ((params.get('q') ?? '') === q) return;
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (q) next.set('q', q);
      else next.delete('q');
      return next;
    }, { replace: true });
  }, [q, params, setParams]);

  const setFilter = (key: 'status' | 'video' | 'source', value: string) =>
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (value && !(key === 'source' && value === 'flix')) next.set(key, value);
      else next.delete(key);
      return next;
    }, { replace: true });

  const titles = useInfiniteQuery({
    queryKey: titleKeys.list(filters),
    queryFn: ({ pageParam }) => {
      const common = { status: filters.status, videoStatus: filters.videoStatus, source: filters.source, pageSize: PAGE_SIZE, pageToken: pageParam };
      return filters.q ? api.admin.searchTitles({ ...common, q: filters.q }) : api.admin.titles({ ...common, orderBy: 'updated' });
    },
    initialPageParam: '',
    getNextPageParam: (last) => last.nextPageToken || undefined,
    placeholderData: keepPreviousData,
  });
  const list = titles.data?.pages.flatMap((p) => p.movies ?? []) ?? [];
  const total = titles.data?.pages[0]?.totalSize ?? list.length;
  const filtered = !!(filters.q || filters.status || filters.videoStatus || filters.source !== 'flix');

  return (
    <Page title="Titles" className="admin-page">
      <div className="admin-toolbar admin-toolbar-end">
        <ButtonLink to="/admin/titles/new" variant="primary">
          New title
        </ButtonLink>
      </div>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      <div className="admin-toolbar titles-filters" role="search" aria-label="Filter titles">
        <TextField
          label="Search titles"
          type="search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          placeholder="Title, person or genre"
          autoComplete="off"
        />
        <SelectField label="Status" value={filters.status} onChange={(e) => setFilter('status', e.target.value)}>
          {STATUS_OPTIONS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </SelectField>
        <SelectField label="Video" value={filters.videoStatus} onChange={(e) => setFilter('video', e.target.value)}>
          {VIDEO_OPTIONS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </SelectField>
        <SelectField label="Source" value={filters.source} onChange={(e) => setFilter('source', e.target.value)}>
          {SOURCE_OPTIONS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </SelectField>
      </div>

      <section className="admin-list" aria-labelledby="admin-titles-results" aria-busy={titles.isPlaceholderData || undefined}>
        <h2 id="admin-titles-results" className="visually-hidden">
          Titles found
        </h2>
        <LoadState query={titles} loading="Loading titles" failed="The titles could not be loaded." />
        {titles.isSuccess && list.length === 0 ? (
          <EmptyState title={filtered ? 'No title matches these filters.' : 'No titles yet.'}>
            {filtered ? null : <p>Create one with “New title”.</p>}
          </EmptyState>
        ) : null}
        {list.length > 0 ? (
          <>
            <p className="admin-count" role="status">
              {`${list.length} of ${total} title${total === 1 ? '' : 's'}`}
              {filters.q ? ', best match first' : ', most recently changed first'}
            </p>
            <div className="admin-table-wrap" role="region" aria-label="Titles table" tabIndex={0}>
              <table className="admin-table">
                <thead>
                  <tr>
                    <th scope="col">Title</th>
                    <th scope="col">Status</th>
                    <th scope="col">Video</th>
                    <th scope="col">Source</th>
                    <th scope="col">Access</th>
                    <th scope="col">Changed</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((m) => {
                    const status = statusWords(m.status);
                    const video = videoWords(m);
                    return (
                      <tr key={m.id}>
                        <th scope="row" className="admin-cell-strong">
                          <Link to={`/admin/titles/${encodeURIComponent(m.id)}`}>{m.title || '(untitled)'}</Link>
                          <span className="admin-sub">
                            {[m.releaseYear || null, m.genres.slice(0, 2).join(', ') || null].filter(Boolean).join(' · ')}
                          </span>
                        </th>
                        <td>
                          <span className={`badge ${status.tone}`}>{status.label}</span>
                        </td>
                        <td>{m.partner ? <span className="admin-sub">Partner’s</span> : <span className={`badge ${video.tone}`}>{video.label}</span>}</td>
                        <td>{m.source === 'flix' ? 'Flix' : (m.partner?.partnerName ?? m.source)}</td>
                        <td>{accessWords(m)}</td>
                        <td className="admin-cell-date">{formatDateTime(m.updateTime)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <LoadMore query={titles} label="More titles" errorTitle="More titles could not be loaded." />
          </>
        ) : null}
      </section>
    </Page>
  );
}
