import { Page } from '../../ui/Page';
import '../admin.css';

/** Placeholder until this Studio section is built. */
export default function Placeholder() {
  return <Page title="Analytics"><p>Coming soon.</p></Page>;
}
