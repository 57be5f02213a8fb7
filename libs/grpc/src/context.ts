import type { Metadata } from '@grpc/grpc-js';
import type { Caller, Principal } from '@flix/auth';
import type { Logger } from '@flix/logging';

/** What a handler knows about the call besides its request message. */
export interface CallContext {
  /** Full method path, e.g. `/flix.identity.v1.IdentityService/Login`. */
  method: string;
  /** Set when the caller sent a valid access token (the same as `caller.principal`). */
  principal?: Principal;
  /**
   * Set when the caller sent a valid access token: the principal and that token, parsed and
   * verified once here, for domain code that calls other services on the caller's behalf.
   */
  caller?: Caller;
  requestId: string;
  /** Client address as the gateway saw it (last x-forwarded-for entry), else the peer. */
  clientIp: string;
  traceparent?: string;
  userAgent?: string;
  logger: Logger;
  /** Aborted when the call's deadline passes or the client cancels. */
  signal: AbortSignal;
  metadata: Metadata;
  /**
   * Sets a response header: gRPC initial metadata, which the gateway's transcoder returns as an
   * HTTP response header. An array gives several values (one `set-cookie` line per cookie);
   * setting a name again replaces it. Sent with the response, success or error; ignored once
   * the call has answered (a handler still running after its deadline).
   */
  setResponseHeader(name: string, value: string | readonly string[]): void;
}

/**
 * Names a handler may not set: the gRPC protocol's own and pseudo headers, and `-bin` keys
 * (binary values, which the string signature cannot carry).
 */
export function checkResponseHeaderName(name: string): string {
  const key = name.toLowerCase();
  if (!/^[0-9a-z_.-]+$/.test(key) || key.startsWith('grpc-') || key.endsWith('-bin') || key === 'content-type' || key === 'te') {
    throw new Error(`not a settable response header: "${name}"`);
  }
  return key;
}

export function firstValue(md: Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return v === undefined ? undefined : String(v);
}

/** Envoy (use_remote_address) appends the real peer, so the trustworthy entry is the last one. */
export function clientIpFrom(md: Metadata, peer: string): string {
  // The gateway's trusted view: right even when xff_num_trusted_hops makes the last X-Forwarded-For
  // entry a proxy's address rather than the client's.
  const external = firstValue(md, 'x-envoy-external-address')?.trim();
  if (external) return external;
  const xff = firstValue(md, 'x-forwarded-for');
  if (xff) {
    const parts = xff.split(',').map((s) => s.trim()).filter(Boolean);
    if (parts.length > 0) return parts[parts.length - 1]!;
  }
  // grpc-js peers look like "ipv4:127.0.0.1:5555" or "ipv6:[::1]:5555".
  return peer.replace(/^ipv[46]:/, '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
}
