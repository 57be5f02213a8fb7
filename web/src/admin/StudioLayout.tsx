import { NavLink, Outlet } from 'react-router';
import './admin.css';

/**
 * Flix Studio, the operators' console: its own sub-navigation above the section's screen.
 */
export default function StudioLayout() {
  return (
    <div className="admin-studio">
      <div className="admin-studio-bar">
        <p className="admin-studio-name">Flix Studio</p>
        <nav className="admin-subnav" aria-label="Studio">
          <NavLink to="/admin/titles">Titles</NavLink>
          <NavLink to="/admin/reviews">Reviews</NavLink>
          <NavLink to="/admin/users">Users</NavLink>
          <NavLink to="/admin/plans">Plans</NavLink>
          <NavLink to="/admin/analytics">Analytics</NavLink>
          <NavLink to="/admin/streams">Event streams</NavLink>
          <NavLink to="/admin/dead-letters">Dead letters</NavLink>
        </nav>
      </div>
      <Outlet />
    </div>
  );
}
