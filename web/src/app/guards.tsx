import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { Role } from '../api/gen/flix/identity/v1/resources';
import { useActiveProfile } from '../profiles/active-profile';
import { Spinner } from '../ui/Feedback';
import { useSessionState } from './services';

/** Screens for signed-in people; others go to the sign-in page and come back after. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const state = useSessionState();
  const location = useLocation();
  if (state.status === 'restoring') return <Spinner label="Signing you in" />;
  if (state.status === 'signed-out') return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

/** Screens that need to know who is watching; without a chosen profile, "Who's watching?" first. */
export function RequireProfile({ children }: { children: ReactNode }) {
  const { profile, loading } = useActiveProfile();
  const location = useLocation();
  if (loading) return <Spinner label="Loading profiles" />;
  if (!profile) return <Navigate to="/profiles" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

export function RequireAdmin({ children }: { children: ReactNode }) {
  const state = useSessionState();
  if (state.status !== 'signed-in') return null;
  if (!state.user.roles.includes(Role.ROLE_ADMIN)) {
    return (
      <div className="banner banner-error" role="alert">
        <strong>Not allowed</strong>
        <p>This part of Flix is for operators. Your account does not have the admin role.</p>
      </div>
    );
  }
  return <>{children}</>;
}
