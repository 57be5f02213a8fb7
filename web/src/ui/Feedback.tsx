import type { ReactNode } from 'react';
import { describeError } from '../api/errors';
import './ui.css';

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <div className="spinner" role="status">
      <span className="spinner-ring" aria-hidden="true" />
      <span className="visually-hidden">{label}…</span>
    </div>
  );
}

/** An error with nowhere better to go: announced to screen readers, with an optional way out. */
export function ErrorBanner({ error, title, children }: { error?: unknown; title?: string; children?: ReactNode }) {
  if (!error && !children) return null;
  return (
    <div className="banner banner-error" role="alert">
      {title ? <strong>{title}</strong> : null}
      {error ? <p>{describeError(error)}</p> : null}
      {children}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'success' | 'warning' }) {
  return (
    <div className={`banner banner-${tone}`} role="status">
      {children}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}
