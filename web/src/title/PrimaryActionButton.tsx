import { useMutation } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import type { Movie } from '../api/client';
import { useApi } from '../app/services';
import { Button, ButtonLink } from '../ui/Button';
import { ErrorBanner } from '../ui/Feedback';
import type { PrimaryAction } from './primary-action';

/** Renting goes through the hosted checkout and comes back to a page that waits for the webhook. */
function useRent(movie: Movie) {
  const api = useApi();
  return useMutation({
    mutationFn: async () => {
      const origin = window.location.origin;
      const res = await api.billing.rent({
        movieId: movie.id,
        successUrl: `${origin}/checkout/return?rental=${encodeURIComponent(movie.id)}&session_id={CHECKOUT_SESSION_ID}`,
        cancelUrl: `${origin}/title/${encodeURIComponent(movie.id)}`,
      });
      window.location.assign(res.url);
    },
  });
}

export function PrimaryActionButton({ movie, action }: { movie: Movie; action: PrimaryAction }) {
  const navigate = useNavigate();
  const rent = useRent(movie);
  const rentButton = (label: string, variant: 'primary' | 'secondary') => (
    <Button variant={variant} busy={rent.isPending} onClick={() => rent.mutate()}>
      {label}
    </Button>
  );
  let main;
  switch (action.kind) {
    case 'play':
      main = (
        <Button variant="primary" className="play-button" onClick={() => navigate(`/watch/${encodeURIComponent(movie.id)}`)}>
          <span aria-hidden="true">▶</span> {action.label}
        </Button>
      );
      break;
    case 'rent':
      main = rentButton(action.label, 'primary');
      break;
    case 'upgrade':
      main = (
        <>
          <ButtonLink variant="primary" to="/plans?reason=upgrade">
            {action.label}
          </ButtonLink>
          {action.secondaryRent ? rentButton(action.secondaryRent, 'secondary') : null}
        </>
      );
      break;
    case 'subscribe':
      main = (
        <>
          <ButtonLink variant="primary" to="/plans">
            {action.label}
          </ButtonLink>
          {action.secondaryRent ? rentButton(action.secondaryRent, 'secondary') : null}
        </>
      );
      break;
    case 'fix-payment':
      main = (
        <ButtonLink variant="primary" to="/account">
          {action.label}
        </ButtonLink>
      );
      break;
    case 'partner':
      main = (
        <a className="btn btn-primary" href={action.url} target="_blank" rel="noopener noreferrer">
          {action.label}
          <span className="visually-hidden"> (opens the partner's site)</span>
        </a>
      );
      break;
    case 'unavailable':
      main = (
        <Button variant="primary" disabled>
          {action.label}
        </Button>
      );
  }
  return (
    <>
      {main}
      {rent.error ? <ErrorBanner error={rent.error} title="The rental could not start" /> : null}
    </>
  );
}
