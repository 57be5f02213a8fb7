import { useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { ErrorBanner, Spinner } from '../ui/Feedback';
import { Page } from '../ui/Page';
import { Avatar } from './Avatar';
import { useActiveProfile, useProfiles } from './active-profile';
import './profiles.css';

export const MAX_PROFILES = 5;

/** "Who's watching?": pick a profile, add one, or manage them. */
export default function ProfilesPage() {
  const profiles = useProfiles();
  const { profile: active, choose } = useActiveProfile();
  const [managing, setManaging] = useState(false);
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from;

  if (profiles.isPending) return <Spinner label="Loading profiles" />;
  if (profiles.isError) return <ErrorBanner error={profiles.error} title="Profiles could not be loaded" />;
  const list = profiles.data;

  return (
    <Page title={managing ? 'Manage profiles' : "Who's watching?"} className="profiles-page">
      <ul className="profile-grid" aria-label="Profiles">
        {list.map((p) => (
          <li key={p.id}>
            {managing ? (
              <Link className="profile-tile" to={`/profiles/${p.id}/edit`} aria-label={`Edit ${p.name}`}>
                <Avatar profile={p} />
                <span className="profile-name">{p.name}</span>
                <span className="profile-edit-mark" aria-hidden="true">
                  ✎ Edit
                </span>
              </Link>
            ) : (
              <button
                type="button"
                className={`profile-tile${active?.id === p.id ? ' profile-current' : ''}`}
                onClick={() => {
                  choose(p.id);
                  navigate(from && from !== '/profiles' ? from : '/browse', { replace: true });
                }}
              >
                <Avatar profile={p} />
                <span className="profile-name">{p.name}</span>
                {p.kids ? <span className="visually-hidden"> (kids profile)</span> : null}
              </button>
            )}
          </li>
        ))}
        {list.length < MAX_PROFILES ? (
          <li>
            <Link className="profile-tile profile-add" to="/profiles/new">
              <span className="avatar avatar-add" aria-hidden="true">
                +
              </span>
              <span className="profile-name">Add profile</span>
            </Link>
          </li>
        ) : null}
      </ul>
      <div className="profiles-actions">
        <button type="button" className="btn btn-ghost" aria-pressed={managing} onClick={() => setManaging((m) => !m)}>
          {managing ? 'Done' : 'Manage profiles'}
        </button>
      </div>
    </Page>
  );
}
