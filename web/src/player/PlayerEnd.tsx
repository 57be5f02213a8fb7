import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useApi } from '../app/services';
import { Button, ButtonLink } from '../ui/Button';

/** After the last frame: the next title to watch (a similar one), back to the title, or again. */
export function PlayerEnd({ movieId, profileId, title, onReplay }: { movieId: string; profileId: string; title: string; onReplay: () => void }) {
  const api = useApi();
  const heading = useRef<HTMLHeadingElement>(null);
  const similar = useQuery({
    queryKey: ['up-next', movieId, profileId],
    queryFn: () => api.movies.similar(movieId, { profileId, pageSize: 1 }),
    staleTime: 5 * 60_000,
  });
  const next = similar.data?.recommendations[0];

  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
  }, []);

  return (
    <section className="player-panel player-end" aria-labelledby="player-end-title">
      <h2 id="player-end-title" ref={heading} tabIndex={-1}>
        {title ? `You finished ${title}` : 'The end'}
      </h2>
      {next ? (
        <div className="player-up-next">
          <p className="player-up-next-label">Up next</p>
          <p className="player-up-next-title">{next.title}</p>
          {next.reason ? <p className="muted">{next.reason}</p> : null}
        </div>
      ) : null}
      <div className="row-actions">
        {next ? (
          // Replacing this entry: Back from the next title returns where the viewer came from.
          <ButtonLink variant="primary" to={`/watch/${encodeURIComponent(next.movieId)}`} replace>
            Play {next.title}
          </ButtonLink>
        ) : null}
        <ButtonLink variant={next ? 'secondary' : 'primary'} to={`/title/${encodeURIComponent(movieId)}`}>
          Back to title
        </ButtonLink>
        <Button variant="ghost" onClick={onReplay}>
          Watch again
        </Button>
      </div>
    </section>
  );
}
