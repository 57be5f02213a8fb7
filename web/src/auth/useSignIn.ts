import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useLocation, useNavigate } from 'react-router';
import type { LoginResponse, RegisterResponse } from '../api/gen/flix/identity/v1/identity_service';
import { useSession } from '../app/services';

/** Where a signed-out visitor was sent from that needs an account but not a viewer profile. */
const ACCOUNT_LEVEL = ['/oauth/consent', '/activate', '/account', '/verify-email'];

/** After login or sign-up: adopt the tokens, forget any other account's cached data, go on. */
export function useSignIn<Vars>(call: (vars: Vars) => Promise<LoginResponse | RegisterResponse>) {
  const session = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  return useMutation({
    mutationFn: call,
    onSuccess: (res) => {
      queryClient.clear();
      if (!res.user) throw new Error('the sign-in answer has no user');
      session.signedIn(res.user, { accessToken: res.accessToken, expiresIn: res.expiresIn });
      // Account-level pages (OAuth consent, TV code, account settings) need no profile: straight back.
      if (from && ACCOUNT_LEVEL.some((p) => from.startsWith(p))) {
        navigate(from, { replace: true });
        return;
      }
      // Who's watching first; it sends the viewer on to where they were going.
      navigate('/profiles', { replace: true, state: { from } });
    },
  });
}
