import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { Movie } from '../api/client';
import { formatRuntime, maturityLabel } from '../lib/format';
import { Poster } from './Poster';
import type { rowQuery } from './Row';

/**
 * The top of Home: the most popular title this profile may watch, large. It reads the Popular
 * row's first page (the same query, so one request serves both).
 */
export function Hero({ popular }: { popular: ReturnType<typeof rowQuery<Movie>> }) {
  const { data } = useInfiniteQuery(popular);
  const movie = data?.pages[0]?.items[0]?.movie;
  if (!movie) return <div className="hero hero-empty" aria-hidden="true" />;
  return (
    <section className="hero" aria-label="Featured">
      <div className="hero-art">
        <Poster movie={movie} variant="backdrop" eager />
      </div>
      <div className="hero-copy">
        <p className="hero-kicker">Featured</p>
        <h2 className="hero-title">{movie.title}</h2>
        <p className="hero-meta">{[movie.releaseYear || '', maturityLabel(movie.maturityRating), formatRuntime(movie.runtimeMinutes), movie.genres.slice(0, 3).join(', ')].filter(Boolean).join(' · ')}</p>
        <p className="hero-description">{movie.description}</p>
        <div className="row-actions">
          <Link className="btn btn-primary" to={`/title/${encodeURIComponent(movie.id)}`}>
            More info<span className="visually-hidden"> about {movie.title}</span>
          </Link>
        </div>
      </div>
    </section>
  );
}
