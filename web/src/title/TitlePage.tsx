import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import type { Entitlement, ViewingEntry } from '../api/client';
import { ApiError, Code, describeError } from '../api/errors';
import { EntitlementReason } from '../api/gen/flix/billing/v1/resources';
import { useApi } from '../app/services';
import { Poster } from '../browse/Poster';
import { recommendationItem } from '../browse/recommendation-card';
import { Row, rowQuery } from '../browse/Row';
import { formatRuntime, languageName, maturityLabel } from '../lib/format';
import { useActiveProfile } from '../profiles/active-profile';
import { ErrorBanner, Spinner } from '../ui/Feedback';
import { Page } from '../ui/Page';
import { ListToggles } from './ListToggles';
import { MyRating } from './MyRating';
import { PrimaryActionButton } from './PrimaryActionButton';
import { primaryActionFor } from './primary-action';
import { Reviews } from './Reviews';
import { Stars } from './StarRating';
import './title.css';

/** A 404 is an answer here ("no entry yet"), not an error. */
async function orNull<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ApiError && err.code === Code.NOT_FOUND) return null;
    throw err;
  }
}

export default function TitlePage() {
  const { movieId = '' } = useParams();
  const api = useApi();
  const { profile } = useActiveProfile();
  const profileId = profile!.id;
  const movie = useQuery({ queryKey: ['movie', movieId, profileId], queryFn: () => api.movies.get(movieId, profileId) });
  const own = movie.data && !movie.data.partner;
  const entitlement = useQuery({ queryKey: ['entitlement', movieId], queryFn: () => api.billing.entitlement(movieId), enabled: !!own, staleTime: 5_000 });
  const viewing = useQuery({ queryKey: ['viewing', movieId, profileId], queryFn: () => orNull(api.playback.viewingEntry(movieId, profileId)), enabled: !!own, staleTime: 0 });

  if (movie.isPending) return <Spinner label="Loading the title" />;
  if (movie.isError) {
    const err = movie.error;
    if (err instanceof ApiError && err.code === Code.PERMISSION_DENIED) {
      return (
        <Page title="Not available on this profile">
          <ErrorBanner>
            <p>{describeError(err)}</p>
            <Link className="btn btn-secondary" to="/profiles">
              Switch profile
            </Link>
          </ErrorBanner>
        </Page>
      );
    }
    if (err instanceof ApiError && err.code === Code.NOT_FOUND) {
      return (
        <Page title="Title not found">
          <p className="muted">This title is not in the catalog, or not any more.</p>
          <Link className="btn btn-primary" to="/search">
            Search the catalog
          </Link>
        </Page>
      );
    }
    return <ErrorBanner error={err} title="This title could not be loaded" />;
  }
  const m = movie.data;
  const action = own ? primaryActionFor(m, entitlement.data as Entitlement | undefined, (viewing.data ?? undefined) as ViewingEntry | undefined) : primaryActionFor(m, undefined, undefined);
  const facts = [m.releaseYear || '', maturityLabel(m.maturityRating), formatRuntime(m.runtimeMinutes)].filter(Boolean);

  return (
    <Page title={m.title} heading={m.title} className="title-page">
      <div className="title-hero">
        <div className="title-art">
          <Poster movie={m} variant="backdrop" eager />
        </div>
        <div className="title-info">
          <p className="title-facts">
            {facts.map((f) => (
              <span key={String(f)}>{f}</span>
            ))}
            {m.rating && m.rating.count > 0 ? <Stars value={m.rating.average} count={m.rating.count} /> : null}
          </p>
          <p className="title-description">{m.description}</p>
          <div className="row-actions title-actions" data-testid="primary-action">
            <PrimaryActionButton movie={m} action={action} />
            {own ? <ListToggles movieId={m.id} profileId={profileId} /> : null}
          </div>
          {entitlement.isError ? <ErrorBanner error={entitlement.error} title="We could not check whether you can watch this" /> : null}
          {entitlement.data && !entitlement.data.allowed ? <p className="muted entitlement-note">{entitlementNote(entitlement.data)}</p> : null}
          <dl className="title-credits">
            {m.genres.length ? (
              <>
                <dt>Genres</dt>
                <dd>{m.genres.join(', ')}</dd>
              </>
            ) : null}
            {m.directors.length ? (
              <>
                <dt>Director</dt>
                <dd>{m.directors.join(', ')}</dd>
              </>
            ) : null}
            {m.cast.length ? (
              <>
                <dt>Cast</dt>
                <dd>{m.cast.slice(0, 8).join(', ')}</dd>
              </>
            ) : null}
            {m.audioLanguages.length ? (
              <>
                <dt>Audio</dt>
                <dd>{m.audioLanguages.map(languageName).join(', ')}</dd>
              </>
            ) : null}
            {m.subtitleLanguages.length ? (
              <>
                <dt>Subtitles</dt>
                <dd>{m.subtitleLanguages.map(languageName).join(', ')}</dd>
              </>
            ) : null}
            {m.partner ? (
              <>
                <dt>Source</dt>
                <dd>{m.partner.partnerName}</dd>
              </>
            ) : null}
          </dl>
        </div>
      </div>
      {own ? (
        <div className="title-columns">
          <MyRating movieId={m.id} profileId={profileId} />
          <Reviews movieId={m.id} />
        </div>
      ) : null}
      <Row
        title="More like this"
        query={rowQuery(['similar', m.id, profileId], async (pageToken) => {
          const page = await api.movies.similar(m.id, { profileId, pageSize: 12, pageToken });
          return { items: page.recommendations.map((r) => recommendationItem(r, false)), nextPageToken: page.nextPageToken };
        })}
      />
    </Page>
  );
}

/** Why the viewer cannot play yet, in billing's words where it has them. */
function entitlementNote(e: Entitlement): string {
  switch (e.reason) {
    case EntitlementReason.ENTITLEMENT_REASON_TIER_TOO_LOW:
      return 'Your plan does not include this title.';
    case EntitlementReason.ENTITLEMENT_REASON_RENTAL_EXPIRED:
      return 'Your rental of this title has ended.';
    case EntitlementReason.ENTITLEMENT_REASON_PAST_GRACE:
      return 'Your last payment failed and the grace period is over.';
    case EntitlementReason.ENTITLEMENT_REASON_PAYMENT_INCOMPLETE:
      return 'Your subscription is waiting for a payment.';
    case EntitlementReason.ENTITLEMENT_REASON_SUBSCRIPTION_EXPIRED:
      return 'Your subscription has ended.';
    case EntitlementReason.ENTITLEMENT_REASON_NO_SUBSCRIPTION:
      return 'Subscribe to watch, or rent just this title.';
    default:
      return '';
  }
}
