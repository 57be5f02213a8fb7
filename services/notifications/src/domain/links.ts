/**
 * The web app pages e-mails link to (the contract in issue 14: the app is served at the
 * gateway's origin, FLIX_PUBLIC_URL). One place, so a page that moves is changed once.
 */
export class Links {
  private readonly base: string;
  constructor(publicUrl: string) {
    this.base = publicUrl.replace(/\/+$/, '');
  }
  private withToken(path: string, token: string) {
    return `${this.base}${path}?token=${encodeURIComponent(token)}`;
  }
  home = () => `${this.base}/`;
  verifyEmail = (token: string) => this.withToken('/verify-email', token);
  resetPassword = (token: string) => this.withToken('/reset-password', token);
  forgotPassword = () => `${this.base}/forgot-password`;
  security = () => `${this.base}/account/security`;
  account = () => `${this.base}/account`;
  plans = () => `${this.base}/plans`;
  preferences = () => `${this.base}/account/notifications`;
  /** The page a person lands on from the unsubscribe link in the body (it calls Unsubscribe). */
  unsubscribePage = (token: string) => this.withToken('/unsubscribe', token);
  /** RFC 8058's one-click target: mail clients POST `List-Unsubscribe=One-Click` here. */
  oneClickUnsubscribe = (token: string) => this.withToken('/notifications/unsubscribe', token);
  title = (movieId: string) => `${this.base}/title/${encodeURIComponent(movieId)}`;
}
