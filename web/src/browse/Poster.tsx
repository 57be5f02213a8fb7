import { useState } from 'react';
import type { Movie } from '../api/client';
import './browse.css';

const PALETTES = [
  ['#7f1d1d', '#1f0a0a'],
  ['#1e3a8a', '#0a1024'],
  ['#065f46', '#04150f'],
  ['#6b21a8', '#150722'],
  ['#9a3412', '#1f0b04'],
  ['#155e75', '#041519'],
  ['#86198f', '#1b061d'],
  ['#3f6212', '#0e1504'],
];

function hash(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/**
 * A title's artwork; a title without any (or whose image fails) gets a poster drawn from its
 * id, genre and name, so rows never show broken images.
 */
export function Poster({ movie, variant = 'portrait', eager }: { movie: Pick<Movie, 'id' | 'title' | 'genres' | 'artwork'>; variant?: 'portrait' | 'backdrop'; eager?: boolean }) {
  const url = variant === 'backdrop' ? movie.artwork?.backdropUrl || movie.artwork?.thumbnailUrl : movie.artwork?.thumbnailUrl;
  const [failed, setFailed] = useState(false);
  if (url && !failed) {
    return <img className={`poster poster-${variant}`} src={url} alt="" loading={eager ? 'eager' : 'lazy'} decoding="async" onError={() => setFailed(true)} />;
  }
  const h = hash(movie.id);
  const [from, to] = PALETTES[h % PALETTES.length]!;
  const angle = (h >> 4) % 360;
  return (
    <div className={`poster poster-${variant} poster-drawn`} style={{ background: `linear-gradient(${angle}deg, ${from}, ${to})` }} aria-hidden="true">
      <span className="poster-genre">{movie.genres[0] ?? ''}</span>
      <span className="poster-title">{movie.title}</span>
    </div>
  );
}
