import { NavLink, Outlet } from 'react-router';
import './admin.css';

/**
 * Flix Studio, the operators' console: its own sub-navigation above the section's screen.
 * Titles, Reviews, Analytics and Event streams join this list when they are built.
 */
export default function StudioLayout() {
  return (
    <div className="admin-studio">
      <div className="admin-studio-bar">
        <p className="admin-studio-name">Flix Studio</p>
        <nav className="admin-subnav" aria-label="Studio">
          <NavLink to="/admin/users">Users</NavLink>
          <NavLink to="/admin/plans">Plans</NavLink>
        </nav>
      </div>
      <Outlet />
    </div>
  );
}
