/** Sends the browser to another site (the OAuth client's redirect_uri): a full navigation, not a route. */
export function leaveFor(url: string): void {
  window.location.assign(url);
}
