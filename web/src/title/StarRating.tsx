import { useId } from 'react';

/**
 * Five stars as a radio group: arrow keys move between them, each has a spoken name
 * ("3 stars"), and choosing one saves at once.
 */
export function StarRating({ value, onChange, disabled, legend = 'Your rating' }: { value: number; onChange: (stars: number) => void; disabled?: boolean; legend?: string }) {
  const name = useId();
  return (
    <fieldset className="stars" disabled={disabled}>
      <legend>{legend}</legend>
      <div className="stars-options">
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} className={`star${n <= value ? ' star-on' : ''}`}>
            <input type="radio" name={name} value={n} checked={value === n} onChange={() => onChange(n)} />
            <span aria-hidden="true">★</span>
            <span className="visually-hidden">
              {n} star{n === 1 ? '' : 's'}
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** Read-only stars with the number spoken. */
export function Stars({ value, count }: { value: number; count?: number }) {
  const rounded = Math.round(value * 2) / 2;
  return (
    <span className="stars-static" aria-label={`${rounded.toFixed(1)} out of 5 stars${count !== undefined ? `, ${count} ratings` : ''}`} role="img">
      {[1, 2, 3, 4, 5].map((n) => (
        <span key={n} aria-hidden="true" className={n <= Math.round(value) ? 'star-on' : 'star-off'}>
          ★
        </span>
      ))}
      {count !== undefined ? <span className="muted" aria-hidden="true"> ({count})</span> : null}
    </span>
  );
}
