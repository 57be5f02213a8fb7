import type { OAuthScope } from '../api/gen/flix/identity/v1/resources';

/** The scopes a client asks for, each with the sentence identity gives for it. */
export function ScopeList({ scopes }: { scopes: OAuthScope[] }) {
  if (!scopes.length) return <p className="muted">It asks only to know that it is you.</p>;
  return (
    <ul className="oauth-scopes" aria-label="What it asks for">
      {scopes.map((s) => (
        <li key={s.name}>
          <span className="oauth-scope-text">{s.description || s.name}</span>
          {s.description ? <code className="oauth-scope-name">{s.name}</code> : null}
        </li>
      ))}
    </ul>
  );
}
