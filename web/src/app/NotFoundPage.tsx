import { Link } from 'react-router';
import { Page } from '../ui/Page';

export default function NotFoundPage() {
  return (
    <Page title="Page not found">
      <p className="muted">There is nothing at this address.</p>
      <Link to="/browse" className="btn btn-primary">
        Go to Home
      </Link>
    </Page>
  );
}
