import type { ComponentType, ReactNode } from 'react';
import { createBrowserRouter, Navigate, useLocation, type RouteObject } from 'react-router';
import { AppShell } from './AppShell';
import { RouteError } from './RouteError';
import { RequireAdmin, RequireAuth, RequireProfile } from './guards';
import { useSessionState } from './services';

type Screen = () => Promise<{ default: ComponentType }>;

/** Each screen is its own chunk: the first paint loads only the shell and the screen asked for. */
const page = (load: Screen) => async () => ({ Component: (await load()).default });

/** A lazy screen inside guards (outermost first): each renders its screen only when it allows it. */
const guarded =
  (...guards: ComponentType<{ children: ReactNode }>[]) =>
  (load: Screen) =>
  async () => {
    const { default: Inner } = await load();
    return { Component: () => guards.reduceRight<ReactNode>((child, Guard) => <Guard>{child}</Guard>, <Inner />) };
  };

const withProfile = guarded(RequireAuth, RequireProfile);
const signedIn = guarded(RequireAuth);
/** Flix Studio: signed in, and the admin role (the API refuses the others anyway). */
const adminOnly = guarded(RequireAuth, RequireAdmin);

function Start() {
  const state = useSessionState();
  // A notice for the next screen ("Your account is deleted") travels on.
  const location = useLocation();
  if (state.status === 'restoring') return null;
  return <Navigate to={state.status === 'signed-in' ? '/browse' : '/login'} replace state={location.state} />;
}

export const routes: RouteObject[] = [
  {
    element: <AppShell />,
    errorElement: <RouteError />,
    // Client-rendered: nothing to show while the first lazy screen loads.
    HydrateFallback: () => null,
    children: [
      { index: true, element: <Start /> },
      { path: 'login', lazy: page(() => import('../auth/LoginPage')) },
      { path: 'signup', lazy: page(() => import('../auth/SignupPage')) },
      { path: 'profiles', lazy: signedIn(() => import('../profiles/ProfilesPage')) },
      { path: 'profiles/new', lazy: signedIn(() => import('../profiles/ProfileFormPage')) },
      { path: 'profiles/:profileId/edit', lazy: signedIn(() => import('../profiles/ProfileFormPage')) },
      { path: 'browse', lazy: withProfile(() => import('../browse/HomePage')) },
      { path: 'search', lazy: withProfile(() => import('../browse/SearchPage')) },
      { path: 'title/:movieId', lazy: withProfile(() => import('../title/TitlePage')) },
      { path: 'my-list', lazy: withProfile(() => import('../library/MyListPage')) },
      { path: 'favourites', lazy: withProfile(() => import('../library/FavouritesPage')) },
      { path: 'history', lazy: withProfile(() => import('../library/HistoryPage')) },
      { path: 'plans', lazy: signedIn(() => import('../account/PlansPage')) },
      { path: 'checkout/return', lazy: signedIn(() => import('../account/CheckoutReturnPage')) },
      { path: 'account', lazy: signedIn(() => import('../account/AccountPage')) },
      // Account security, privacy and e-mails; the pages e-mail links open (issue 14).
      { path: 'account/security', lazy: signedIn(() => import('../account/SecurityPage')) },
      { path: 'account/privacy', lazy: signedIn(() => import('../account/PrivacyPage')) },
      { path: 'account/notifications', lazy: signedIn(() => import('../account/NotificationsPage')) },
      { path: 'forgot-password', lazy: page(() => import('../auth/ForgotPasswordPage')) },
      { path: 'reset-password', lazy: page(() => import('../auth/ResetPasswordPage')) },
      { path: 'verify-email', lazy: page(() => import('../auth/VerifyEmailPage')) },
      { path: 'unsubscribe', lazy: page(() => import('../account/UnsubscribePage')) },
      // OAuth consent and TV codes: signed in (and back here after), no profile needed.
      { path: 'oauth/consent', lazy: signedIn(() => import('../oauth/ConsentPage')) },
      { path: 'activate', lazy: signedIn(() => import('../oauth/ActivatePage')) },
      {
        path: 'admin',
        lazy: adminOnly(() => import('../admin/StudioLayout')),
        children: [
          { index: true, element: <Navigate to="titles" replace /> },
          { path: 'titles', lazy: page(() => import('../admin/titles/TitlesPage')) },
          { path: 'titles/new', lazy: page(() => import('../admin/titles/TitleEditPage')) },
          { path: 'titles/:movieId', lazy: page(() => import('../admin/titles/TitleEditPage')) },
          { path: 'reviews', lazy: page(() => import('../admin/reviews/ReviewsPage')) },
          { path: 'users', lazy: page(() => import('../admin/users/UsersPage')) },
          { path: 'users/:userId', lazy: page(() => import('../admin/users/UserDetailPage')) },
          { path: 'plans', lazy: page(() => import('../admin/plans/PlansPage')) },
          { path: 'plans/new', lazy: page(() => import('../admin/plans/PlanFormPage')) },
          { path: 'analytics', lazy: page(() => import('../admin/analytics/AnalyticsPage')) },
          { path: 'streams', lazy: page(() => import('../admin/streams/StreamsPage')) },
          { path: 'dead-letters', lazy: page(() => import('../admin/streams/DeadLettersPage')) },
        ],
      },
      { path: '*', lazy: page(() => import('./NotFoundPage')) },
    ],
  },
  // The player takes the whole screen, without the shell.
  { path: 'watch/:movieId', errorElement: <RouteError />, HydrateFallback: () => null, lazy: withProfile(() => import('../player/PlayerPage')) },
];

export const createRouter = () => createBrowserRouter(routes);
