import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import type { User } from '../../api/client';
import { useApi } from '../../app/services';
import { useDebounced } from '../../browse/useDebounced';
import { formatDate } from '../../lib/format';
import { Button } from '../../ui/Button';
import { EmptyState } from '../../ui/Feedback';
import { TextField } from '../../ui/Field';
import { Page } from '../../ui/Page';
import { adminKeys } from '../admin';
import '../admin.css';
import { RoleBadges, RolesForm } from './roles';
import { LoadMore, LoadState } from '../QueryStates';

const PAGE_SIZE = 25;

/** Users: search by e-mail prefix, a paged list (each e-mail opens the account's page), and a panel to change one account's roles. */
export default function UsersPage() {
  const api = useApi();
  const [search, setSearch] = useState('');
  const prefix = useDebounced(search.trim().toLowerCase(), 300);
  const [selected, setSelected] = useState<User | null>(null);
  const manageRefs = useRef(new Map<string, HTMLButtonElement>());

  const users = useInfiniteQuery({
    queryKey: adminKeys.users(prefix),
    queryFn: ({ pageParam }) => api.admin.users({ emailPrefix: prefix, pageSize: PAGE_SIZE, pageToken: pageParam }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextPageToken || undefined,
    // The previous results stay (dimmed) while the next prefix loads, rather than a blank list.
    placeholderData: keepPreviousData,
  });
  const list = users.data?.pages.flatMap((p) => p.users ?? []) ?? [];
  const total = users.data?.pages[0]?.totalSize;

  const close = () => {
    const id = selected?.id;
    setSelected(null);
    if (id) requestAnimationFrame(() => manageRefs.current.get(id)?.focus());
  };

  return (
    <Page title="Users" className="admin-page">
      <div className="admin-toolbar" role="search">
        <TextField
          label="Search by e-mail"
          type="search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          placeholder="ann@"
          hint="The beginning of the address; the list updates as you type."
          autoComplete="off"
          spellCheck={false}
        />
      </div>

      <div className="admin-split">
        <section className="admin-list" aria-labelledby="admin-users-results" aria-busy={users.isPlaceholderData || undefined}>
          <h2 id="admin-users-results" className="visually-hidden">
            Accounts
          </h2>
          <LoadState query={users} loading="Loading accounts" failed="The accounts could not be loaded." />
          {users.isSuccess && list.length === 0 ? (
            <EmptyState title={prefix ? `No account's e-mail starts with “${prefix}”.` : 'No accounts yet.'} />
          ) : null}
          {list.length > 0 ? (
            <>
              <p className="admin-count" role="status">
                {total !== undefined && total > 0 ? `${list.length} of ${total} account${total === 1 ? '' : 's'}` : `${list.length} account${list.length === 1 ? '' : 's'}`}
              </p>
              <div className="admin-table-wrap" role="region" aria-label="Accounts table" tabIndex={0}>
                <table className="admin-table">
                  <thead>
                    <tr>
                      <th scope="col">E-mail</th>
                      <th scope="col">Name</th>
                      <th scope="col">Roles</th>
                      <th scope="col">Created</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((user) => (
                      <tr key={user.id} aria-current={selected?.id === user.id ? 'true' : undefined}>
                        <td className="admin-cell-strong">
                          <Link to={`/admin/users/${encodeURIComponent(user.id)}`}>{user.email}</Link>
                        </td>
                        <td>{user.displayName}</td>
                        <td>
                          <RoleBadges roles={user.roles} />
                        </td>
                        <td className="admin-cell-date">{formatDate(user.createTime)}</td>
                        <td>
                          <button
                            type="button"
                            className="btn btn-ghost"
                            ref={(el) => {
                              if (el) manageRefs.current.set(user.id, el);
                              else manageRefs.current.delete(user.id);
                            }}
                            aria-label={`Manage ${user.email}`}
                            aria-expanded={selected?.id === user.id}
                            onClick={() => setSelected(user)}
                          >
                            Manage
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <LoadMore query={users} label="Load more" errorTitle="More accounts could not be loaded." />
            </>
          ) : null}
        </section>

        {selected ? <UserPanel key={selected.id} user={selected} onChanged={setSelected} onClose={close} /> : null}
      </div>
    </Page>
  );
}

/** One account: its facts, its roles, and the way to its detail page. */
function UserPanel({ user, onChanged, onClose }: { user: User; onChanged: (u: User) => void; onClose: () => void }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const headingId = useId();

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  return (
    <section className="admin-panel" aria-labelledby={headingId}>
      <div className="admin-panel-head">
        <h2 id={headingId} ref={headingRef} tabIndex={-1}>
          {user.email}
        </h2>
        <Button variant="ghost" onClick={onClose} aria-label={`Close ${user.email}`}>
          Close
        </Button>
      </div>
      <dl className="admin-facts">
        <dt>Name</dt>
        <dd>{user.displayName || '—'}</dd>
        <dt>Created</dt>
        <dd>{formatDate(user.createTime) || '—'}</dd>
        <dt>Account ID</dt>
        <dd className="admin-mono">{user.id}</dd>
      </dl>
      <RolesForm user={user} onSaved={onChanged} />
      <Link to={`/admin/users/${encodeURIComponent(user.id)}`} className="admin-note">
        Subscription, payments and sessions of {user.email}
      </Link>
    </section>
  );
}
