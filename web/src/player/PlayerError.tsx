import { useEffect, useRef } from 'react';
import { Button, ButtonLink } from '../ui/Button';
import type { PlayerProblem } from './problems';

/** A refusal or failure, announced and focused, with its ways out. */
export function PlayerError({ problem, onRetry }: { problem: PlayerProblem; onRetry: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, [problem.title, problem.message]);
  return (
    <div ref={ref} className="player-panel player-problem" role="alert" aria-labelledby="player-problem-title" tabIndex={-1} data-testid="player-error">
      <h2 id="player-problem-title">{problem.title}</h2>
      {problem.message ? <p>{problem.message}</p> : null}
      <div className="row-actions">
        {problem.actions.map((action, i) => {
          const variant = i === 0 ? 'primary' : 'secondary';
          return action.kind === 'retry' ? (
            <Button key={action.label} variant={variant} onClick={onRetry}>
              {action.label}
            </Button>
          ) : (
            <ButtonLink key={action.label} variant={variant} to={action.to}>
              {action.label}
            </ButtonLink>
          );
        })}
      </div>
    </div>
  );
}
