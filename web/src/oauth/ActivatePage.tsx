import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError, Code, readableMessage } from '../api/errors';
import { DeviceAuthorizationState, type DeviceAuthorization } from '../api/gen/flix/identity/v1/identity_service';
import { useApi, useSessionState } from '../app/services';
import { Button, ButtonLink } from '../ui/Button';
import { ErrorBanner, Notice, Spinner } from '../ui/Feedback';
import { TextField } from '../ui/Field';
import { fieldErrorOf } from '../ui/form-errors';
import { Page } from '../ui/Page';
import { ScopeList } from './scopes';
import { formatUserCode, isCompleteUserCode } from './user-code';
import './oauth.css';

/** Why a code was refused, next to the code field: the words a person can act on. */
function codeError(err: unknown): string | undefined {
  if (!(err instanceof ApiError)) return undefined;
  if (err.code === Code.NOT_FOUND) return 'No TV is waiting for this code. Check the code on the TV screen: codes stop working after a few minutes.';
  const field = fieldErrorOf(err, 'userCode');
  if (field) return readableMessage(field);
  if (err.code === Code.INVALID_ARGUMENT) return err.message.replace(/^[\w.]+:\s*/, '');
  return undefined;
}

/**
 * Device sign-in (RFC 8628): the TV shows a code and this address; the viewer types the code
 * here (or arrives with it in the link), sees which app asks for what, and approves or denies.
 */
export default function ActivatePage() {
  const api = useApi();
  const [params] = useSearchParams();
  const fromLink = formatUserCode(params.get('user_code') ?? '');
  const [code, setCode] = useState(fromLink);
  const [looking, setLooking] = useState(isCompleteUserCode(fromLink) ? fromLink : '');
  const [typedError, setTypedError] = useState<string>();
  const formRef = useRef<HTMLFormElement>(null);
  const lookup = useQuery({
    queryKey: ['device-authorization', looking],
    queryFn: () => api.oauth.device(looking),
    enabled: !!looking,
    staleTime: 0,
    gcTime: 0,
    retry: false,
  });
  const decide = useMutation({ mutationFn: (deny: boolean) => api.oauth.approveDevice(looking, deny) });
  const refusal = typedError ?? codeError(lookup.error);

  // A refused code: back to the field, which says why.
  useEffect(() => {
    if (refusal) formRef.current?.querySelector<HTMLInputElement>('input[name="user_code"]')?.focus();
  }, [refusal]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!isCompleteUserCode(code)) {
      setTypedError('Enter the 8 characters shown on your TV, for example WDJB-MJHT.');
      return;
    }
    setTypedError(undefined);
    decide.reset();
    if (code === looking) void lookup.refetch();
    else setLooking(code);
  };

  if (decide.isSuccess) return <Decided result={decide.data} />;

  const pending = lookup.data?.state === DeviceAuthorizationState.DEVICE_AUTHORIZATION_STATE_PENDING;
  if (lookup.data && pending && looking) {
    const a = lookup.data;
    return (
      <Page title="Sign in on your TV" className="oauth-page">
        <div className="oauth-card card" data-testid="device-request">
          <p className="oauth-client">{a.client?.displayName || a.client?.clientId || 'An app'}</p>
          <p className="muted oauth-who">
            wants to use your Flix account on the device showing <strong className="phrase">{a.userCode || looking}</strong>. It will be able to:
          </p>
          <ScopeList scopes={a.scopes ?? []} />
          <p className="muted">Approve only if you started this on a TV or device that you are using now.</p>
          {decide.isError ? <ErrorBanner error={decide.error} title="Your answer could not be sent" /> : null}
          <div className="oauth-actions">
            <Button variant="primary" busy={decide.isPending && decide.variables === false} disabled={decide.isPending} onClick={() => decide.mutate(false)}>
              Approve
            </Button>
            <Button variant="ghost" busy={decide.isPending && decide.variables === true} disabled={decide.isPending} onClick={() => decide.mutate(true)}>
              Deny
            </Button>
          </div>
        </div>
      </Page>
    );
  }

  return (
    <Page title="Sign in on your TV" className="oauth-page">
      <form ref={formRef} className="oauth-card card" onSubmit={submit} noValidate>
        <p>Enter the code your TV or device shows.</p>
        {lookup.data && !pending ? (
          <Notice tone="warning">
            {lookup.data.state === DeviceAuthorizationState.DEVICE_AUTHORIZATION_STATE_APPROVED
              ? 'This code was already approved: the device is signed in.'
              : 'This code was denied. Start again on the TV to get a new code.'}
          </Notice>
        ) : null}
        {lookup.isError && !refusal ? <ErrorBanner error={lookup.error} title="The code could not be checked" /> : null}
        <div className="user-code-input">
          <TextField
            label="Code"
            name="user_code"
            autoComplete="one-time-code"
            autoCapitalize="characters"
            spellCheck={false}
            inputMode="text"
            placeholder="XXXX-XXXX"
            required
            value={code}
            onChange={(e) => {
              setTypedError(undefined);
              setCode(formatUserCode(e.target.value));
            }}
            hint="Capital or small letters, with or without the dash."
            error={refusal}
          />
        </div>
        <Button type="submit" variant="primary" busy={lookup.isFetching} className="auth-submit">
          Continue
        </Button>
        {lookup.isFetching ? <Spinner label="Checking the code" /> : null}
      </form>
    </Page>
  );
}

function Decided({ result }: { result: DeviceAuthorization }) {
  const approved = result.state === DeviceAuthorizationState.DEVICE_AUTHORIZATION_STATE_APPROVED;
  const state = useSessionState();
  const name = result.client?.displayName || 'the app';
  return (
    <Page title={approved ? 'You can go back to your TV' : 'The device was not signed in'} className="oauth-page">
      <div className="oauth-card card" data-testid="device-result">
        <Notice tone={approved ? 'success' : 'info'}>
          {approved ? (
            <span className="oauth-done">
              {name} is signed in{state.status === 'signed-in' ? ` as ${state.user.email}` : ''}. It continues by itself in a few seconds.
            </span>
          ) : (
            <>You denied the request: {name} is not signed in. If that was a mistake, start again on the TV.</>
          )}
        </Notice>
        <ButtonLink to="/account/security">See your devices</ButtonLink>
      </div>
    </Page>
  );
}
