import { NavLink } from 'react-router';
import './settings.css';

/** The account's sections, as tabs-looking links (each is its own page and address). */
export function AccountNav() {
  return (
    <nav className="account-nav" aria-label="Account">
      <NavLink to="/account" end>
        Subscription
      </NavLink>
      <NavLink to="/account/security">Security</NavLink>
      <NavLink to="/account/privacy">Privacy</NavLink>
      <NavLink to="/account/notifications">E-mails</NavLink>
    </nav>
  );
}
