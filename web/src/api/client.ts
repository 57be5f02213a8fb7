/**
 * The one typed client for the Flix JSON API (the gateway's transcoded routes). Request and
 * response types are generated from proto/ (api/gen, see buf.gen.web.yaml); nothing here
 * declares a DTO of its own.
 */
import type * as billing from './gen/flix/billing/v1/billing_service';
import type { Entitlement, Payment, Plan, Rental, Subscription } from './gen/flix/billing/v1/resources';
import type * as catalog from './gen/flix/catalog/v1/catalog_service';
import type { Movie } from './gen/flix/catalog/v1/resources';
import type * as engagement from './gen/flix/engagement/v1/engagement_service';
import type { ListedTitle, Rating } from './gen/flix/engagement/v1/resources';
import type * as identity from './gen/flix/identity/v1/identity_service';
import type * as notifications from './gen/flix/notifications/v1/notifications_service';
import type { NotificationPreferences } from './gen/flix/notifications/v1/resources';
import type { Profile, Role, User } from './gen/flix/identity/v1/resources';
import type * as playback from './gen/flix/playback/v1/playback_service';
import type { PlaybackSession, PlaybackTokens, ViewingEntry } from './gen/flix/playback/v1/resources';
import type * as recommendations from './gen/flix/recommendations/v1/recommendations_service';
import { analyticsAdmin } from './admin/analytics';
import { plansAdmin } from './admin/plans';
import type { AdminRequests } from './admin/requests';
import { reviewsAdmin } from './admin/reviews';
import { streamsAdmin } from './admin/streams';
import { titlesAdmin } from './admin/titles';
import { usersAdmin } from './admin/users';
import type { HttpClient, Query } from './http';

type Params<T, Omitted extends keyof T = never> = Partial<Omit<T, Omitted>>;
const enc = encodeURIComponent;
const q = <T extends object>(params: T | undefined): Query => (params ?? {}) as unknown as Query;

/** Browsers get the refresh token as an httpOnly cookie, never in a body a script can read. */
const COOKIE = { refreshTokenDelivery: 'REFRESH_TOKEN_DELIVERY_COOKIE' } as const;

export function createApi(http: HttpClient) {
  const get = <T>(path: string, query?: Query, auth: 'required' | 'optional' | 'none' = 'required') => http.request<T>(path, { query, auth });
  const post = <T>(path: string, body: unknown = {}) => http.request<T>(path, { method: 'POST', body });
  const del = <T>(path: string, query?: Query) => http.request<T>(path, { method: 'DELETE', query });

  return {
    auth: {
      register: (req: Params<identity.RegisterRequest, 'refreshTokenDelivery'>) =>
        http.request<identity.RegisterResponse>('/v1/auth/register', { body: { ...req, ...COOKIE }, auth: 'none' }),
      login: (req: Params<identity.LoginRequest, 'refreshTokenDelivery'>) =>
        http.request<identity.LoginResponse>('/v1/auth/login', { body: { ...req, ...COOKIE }, auth: 'none' }),
      /** The refresh token travels in the cookie; the body names no token. */
      refresh: () => http.request<identity.RefreshResponse>('/v1/auth/refresh', { body: { ...COOKIE }, auth: 'none' }),
    },
    me: {
      get: () => get<User>('/v1/users/me'),
      update: (user: Partial<User>, mask: (keyof User)[]) =>
        http.request<User>('/v1/users/me', { method: 'PATCH', body: user, query: { updateMask: mask.join(',') } }),
    },
    profiles: {
      list: () => get<identity.ListProfilesResponse>('/v1/users/me/profiles', { pageSize: 10 }),
      create: (profile: Partial<Profile>) => post<Profile>('/v1/users/me/profiles', profile),
      update: (profile: Partial<Profile> & { id: string }, mask: (keyof Profile)[]) =>
        http.request<Profile>(`/v1/users/me/profiles/${enc(profile.id)}`, { method: 'PATCH', body: profile, query: { updateMask: mask.join(',') } }),
      remove: (profileId: string) => del<identity.DeleteProfileResponse>(`/v1/users/me/profiles/${enc(profileId)}`),
    },
    /** Account recovery, password, e-mail and devices (issue 14). */
    account: {
      forgotPassword: (email: string) => http.request<identity.RequestPasswordResetResponse>('/v1/auth/password:forgot', { body: { email }, auth: 'none' }),
      resetPassword: (token: string, newPassword: string) =>
        http.request<identity.ResetPasswordResponse>('/v1/auth/password:reset', { body: { token, newPassword }, auth: 'none' }),
      /** Signed in or not: the link may be opened in any browser. */
      verifyEmail: (token: string) => http.request<User>('/v1/auth/email:verify', { body: { token }, auth: 'optional' }),
      sendVerificationEmail: () => post<identity.SendVerificationEmailResponse>('/v1/users/me/email:sendVerification'),
      changePassword: (currentPassword: string, newPassword: string) => post<identity.ChangePasswordResponse>('/v1/users/me/password:change', { currentPassword, newPassword }),
      changeEmail: (newEmail: string, currentPassword: string) => post<User>('/v1/users/me/email:change', { newEmail, currentPassword }),
      devices: (params: Params<identity.ListDevicesRequest, 'refreshToken'> = {}) => get<identity.ListDevicesResponse>('/v1/users/me/devices', q(params)),
      signOutDevice: (deviceId: string) => del<identity.SignOutDeviceResponse>(`/v1/users/me/devices/${enc(deviceId)}`),
      exportData: () => get<identity.DataExport>('/v1/users/me:export'),
      deleteAccount: (currentPassword: string, confirmation: string) => post<identity.DeleteAccountResponse>('/v1/users/me:delete', { currentPassword, confirmation }),
    },
    /** The OAuth consent page and TV-code approval. */
    oauth: {
      preview: (req: Params<identity.PreviewAuthorizationRequest>) => post<identity.AuthorizationPreview>('/v1/oauth/authorizations:preview', req),
      authorize: (req: Params<identity.AuthorizeRequest>) => post<identity.AuthorizeResponse>('/v1/oauth/authorizations', req),
      device: (userCode: string) => get<identity.DeviceAuthorization>(`/v1/oauth/device-authorizations/${enc(userCode)}`),
      approveDevice: (userCode: string, deny = false) =>
        post<identity.DeviceAuthorization>(`/v1/oauth/device-authorizations/${enc(userCode)}:approve`, deny ? { deny: true } : {}),
    },
    notifications: {
      preferences: () => get<NotificationPreferences>('/v1/users/me/notification-preferences'),
      updatePreferences: (preferences: Partial<NotificationPreferences>, mask: ('reminders' | 'productNews')[]) =>
        http.request<NotificationPreferences>('/v1/users/me/notification-preferences', { method: 'PATCH', body: preferences, query: { updateMask: mask.join(',') } }),
      /** Public: the token in the e-mail's link names the account and the category. */
      unsubscribe: (token: string) => http.request<notifications.UnsubscribeResponse>('/v1/notifications:unsubscribe', { body: { token }, auth: 'none' }),
    },
    movies: {
      list: (params: Params<catalog.ListMoviesRequest>) => get<catalog.ListMoviesResponse>('/v1/movies', q(params), 'optional'),
      search: (params: Params<catalog.SearchMoviesRequest>) => get<catalog.SearchMoviesResponse>('/v1/movies:search', q(params), 'optional'),
      get: (movieId: string, profileId?: string) => get<Movie>(`/v1/movies/${enc(movieId)}`, { profileId }, 'optional'),
      batchGet: (movieIds: string[], profileId?: string) =>
        get<catalog.BatchGetMoviesResponse>('/v1/movies:batchGet', { movieIds, profileId }, 'optional'),
      genres: () => get<catalog.ListGenresResponse>('/v1/genres', undefined, 'optional'),
      similar: (movieId: string, params: Params<recommendations.ListSimilarMoviesRequest, 'movieId'>) =>
        get<recommendations.ListSimilarMoviesResponse>(`/v1/movies/${enc(movieId)}/similar`, q(params), 'optional'),
    },
    recommendations: {
      list: (params: Params<recommendations.ListRecommendationsRequest>) => get<recommendations.ListRecommendationsResponse>('/v1/recommendations', q(params)),
    },
    engagement: {
      myRating: (movieId: string, profileId: string) => get<Rating>(`/v1/movies/${enc(movieId)}/rating`, { profileId }),
      rate: (movieId: string, body: Params<engagement.SetRatingRequest, 'movieId'>) =>
        http.request<Rating>(`/v1/movies/${enc(movieId)}/rating`, { method: 'PUT', body }),
      deleteRating: (movieId: string, profileId: string) => del<engagement.DeleteRatingResponse>(`/v1/movies/${enc(movieId)}/rating`, { profileId }),
      reviews: (movieId: string, params: Params<engagement.ListReviewsRequest, 'movieId'>) =>
        get<engagement.ListReviewsResponse>(`/v1/movies/${enc(movieId)}/reviews`, q(params), 'optional'),
      watchlist: (params: Params<engagement.ListWatchlistRequest>) => get<engagement.ListWatchlistResponse>('/v1/watchlist', q(params)),
      addToWatchlist: (profileId: string, movieId: string) => post<ListedTitle>('/v1/watchlist', { profileId, movieId }),
      removeFromWatchlist: (profileId: string, movieId: string) => del<engagement.RemoveFromWatchlistResponse>(`/v1/watchlist/${enc(movieId)}`, { profileId }),
      favourites: (params: Params<engagement.ListFavouritesRequest>) => get<engagement.ListFavouritesResponse>('/v1/favourites', q(params)),
      addFavourite: (profileId: string, movieId: string) => post<ListedTitle>('/v1/favourites', { profileId, movieId }),
      removeFavourite: (profileId: string, movieId: string) => del<engagement.RemoveFavouriteResponse>(`/v1/favourites/${enc(movieId)}`, { profileId }),
    },
    playback: {
      start: (req: playback.StartSessionRequest) => post<playback.StartSessionResponse>('/v1/playback/sessions', req),
      heartbeat: (sessionId: string, body: Params<playback.HeartbeatRequest, 'sessionId'>) =>
        post<playback.HeartbeatResponse>(`/v1/playback/sessions/${enc(sessionId)}:heartbeat`, body),
      refreshTokens: (sessionId: string) => post<PlaybackTokens>(`/v1/playback/sessions/${enc(sessionId)}:refreshTokens`),
      /** keepalive: the stop still reaches the server when the tab is closing. */
      stop: (sessionId: string, positionSeconds: number, keepalive = false) =>
        http.request<PlaybackSession>(`/v1/playback/sessions/${enc(sessionId)}:stop`, { method: 'POST', body: { positionSeconds }, keepalive }),
      continueWatching: (params: Params<playback.ListContinueWatchingRequest>) => get<playback.ListContinueWatchingResponse>('/v1/continue-watching', q(params)),
      history: (params: Params<playback.ListWatchHistoryRequest>) => get<playback.ListWatchHistoryResponse>('/v1/watch-history', q(params)),
      viewingEntry: (movieId: string, profileId: string) => get<ViewingEntry>(`/v1/watch-history/${enc(movieId)}`, { profileId }),
      removeFromHistory: (movieId: string, profileId: string) => del<playback.DeleteWatchHistoryEntryResponse>(`/v1/watch-history/${enc(movieId)}`, { profileId }),
    },
    billing: {
      plans: () => get<billing.ListPlansResponse>('/v1/plans', { pageSize: 50 }, 'optional'),
      checkout: (req: Params<billing.CreateCheckoutSessionRequest>) => post<billing.CreateCheckoutSessionResponse>('/v1/checkout/sessions', req),
      subscription: () => get<Subscription>('/v1/subscription'),
      cancel: () => post<Subscription>('/v1/subscription:cancel'),
      resume: () => post<Subscription>('/v1/subscription:resume'),
      changePlan: (planId: string) => post<Subscription>('/v1/subscription:changePlan', { planId }),
      /** Stripe's hosted billing portal (payment method, invoices), returning to returnUrl. */
      portal: (returnUrl: string) => post<billing.CreatePortalSessionResponse>('/v1/subscription:portal', { returnUrl }),
      payments: (params: Params<billing.ListPaymentsRequest>) => get<billing.ListPaymentsResponse>('/v1/payments', q(params)),
      rent: (req: Params<billing.CreateRentalRequest>) => post<billing.CreateRentalResponse>('/v1/rentals', req),
      rentals: (params: Params<billing.ListRentalsRequest>) => get<billing.ListRentalsResponse>('/v1/rentals', q(params)),
      returnRental: (rentalId: string) => post<Rental>(`/v1/rentals/${enc(rentalId)}:return`),
      offers: () => get<billing.ListOffersResponse>('/v1/offers'),
      entitlement: (movieId: string) => get<Entitlement>(`/v1/entitlements/${enc(movieId)}`),
    },
    /**
     * Operators' console (Flix Studio): the gateway and the services refuse these to non-admins.
     * One file per Studio section under api/admin/, flat names so tests can fake any call.
     */
    admin: ((requests: AdminRequests) => ({
      ...usersAdmin(requests),
      ...plansAdmin(requests),
      ...titlesAdmin(requests),
      ...reviewsAdmin(requests),
      ...analyticsAdmin(requests),
      ...streamsAdmin(requests),
    }))({ get: (path, query) => get(path, query), post, del, http }),
  };
}

export type Api = ReturnType<typeof createApi>;
export type { Entitlement, Movie, NotificationPreferences, Plan, Payment, Profile, Rental, Subscription, User, ViewingEntry };
