import { useQueryClient } from '@tanstack/react-query';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { Role } from '../api/gen/flix/identity/v1/resources';
import { useActiveProfile } from '../profiles/active-profile';
import { Avatar } from '../profiles/Avatar';
import { Button } from '../ui/Button';
import { useSession, useSessionState } from './services';
import { VerifyEmailBanner } from './VerifyEmailBanner';

/** The frame around every screen: skip link, top bar with navigation, main landmark, footer. */
export function AppShell() {
  const state = useSessionState();
  const session = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { profile } = useActiveProfile();
  const signedIn = state.status === 'signed-in';
  const isAdmin = state.status === 'signed-in' && state.user.roles.includes(Role.ROLE_ADMIN);

  const signOut = async () => {
    await session.logout().catch(() => undefined);
    queryClient.clear();
    navigate('/login', { replace: true, state: { notice: 'You are signed out.' } });
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to={signedIn ? '/browse' : '/'} className="brand" aria-label="Flix home">
          FLIX
        </NavLink>
        {signedIn && profile ? (
          <nav className="nav" aria-label="Main">
            <NavLink to="/browse">Home</NavLink>
            <NavLink to="/search">Search</NavLink>
            <NavLink to="/my-list">My list</NavLink>
            <NavLink to="/favourites">Favourites</NavLink>
            <NavLink to="/history">History</NavLink>
            <NavLink to="/account">Account</NavLink>
            {isAdmin ? <NavLink to="/admin">Studio</NavLink> : null}
          </nav>
        ) : (
          <span className="nav" />
        )}
        <div className="topbar-right">
          {signedIn ? (
            <>
              {profile ? (
                <NavLink to="/profiles" className="profile-switch">
                  <Avatar profile={profile} size={32} />
                  <span className="profile-switch-name">{profile.name}</span>
                  <span className="visually-hidden">: switch profile</span>
                </NavLink>
              ) : null}
              <Button variant="ghost" onClick={() => void signOut()}>
                Sign out
              </Button>
            </>
          ) : (
            <>
              <NavLink to="/login" className="btn btn-ghost">
                Sign in
              </NavLink>
              <NavLink to="/signup" className="btn btn-primary">
                Sign up
              </NavLink>
            </>
          )}
        </div>
      </header>
      <VerifyEmailBanner />
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
      <footer className="footer">Flix · films and series, wherever you are</footer>
    </div>
  );
}
