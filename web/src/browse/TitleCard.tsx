import { Link } from 'react-router';
import type { Movie } from '../api/client';
import { formatMoney, maturityLabel } from '../lib/format';
import { Poster } from './Poster';

/** What a card shows of a title (a full Movie, or a recommendation's summary of one). */
export type CardTitle = Pick<Movie, 'id' | 'title' | 'genres' | 'artwork' | 'releaseYear' | 'maturityRating' | 'partner'>;

/** One title in a row or a grid: poster, name, year; optional progress bar and caption. */
export function TitleCard({ movie, progress, caption, eager }: { movie: CardTitle; progress?: number; caption?: string; eager?: boolean }) {
  const partner = movie.partner;
  // The link's name is its visible text (the title first), so speech input and screen readers agree.
  return (
    <Link to={`/title/${encodeURIComponent(movie.id)}`} className="title-card">
      <div className="title-card-art">
        <Poster movie={movie} eager={eager} />
        {progress !== undefined ? (
          <div className="progress" aria-hidden="true">
            <div className="progress-fill" style={{ width: `${Math.min(100, Math.max(2, progress * 100))}%` }} />
          </div>
        ) : null}
      </div>
      <div className="title-card-meta">
        <span className="title-card-name">{movie.title}</span>
        {progress !== undefined ? <span className="visually-hidden">, {Math.round(progress * 100)}% watched</span> : null}
        <span className="title-card-sub">
          {[movie.releaseYear || '', maturityLabel(movie.maturityRating)].filter(Boolean).join(' · ')}
          {partner ? ` · ${partner.partnerName}${partner.price ? ` ${formatMoney(partner.price)}` : ''}` : ''}
        </span>
        {caption ? <span className="title-card-caption">{caption}</span> : null}
      </div>
    </Link>
  );
}
