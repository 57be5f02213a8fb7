import { isRouteErrorResponse, Link, useRouteError } from 'react-router';

/** What a viewer sees when a screen fails to load (a new deploy, a lost connection). */
export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : error instanceof Error ? error.message : 'Unknown error';
  return (
    <div className="page" role="alert" style={{ padding: 32 }}>
      <h1>Something went wrong</h1>
      <p className="muted">{message}</p>
      <p>
        <a href={window.location.pathname}>Reload the page</a> or <Link to="/browse">go home</Link>.
      </p>
    </div>
  );
}
