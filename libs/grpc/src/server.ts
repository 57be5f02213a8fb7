import { randomUUID } from 'node:crypto';
import {
  Metadata,
  Server,
  ServerCredentials,
  status as Code,
  type MethodDefinition,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { HealthImplementation } from 'grpc-health-check';
import { bearerToken, type AccessTokenVerifier, type Caller } from '@flix/auth';
import { DomainError, isDomainError, unauthenticated } from '@flix/errors';
import type { Logger } from '@flix/logging';
import { checkResponseHeaderName, clientIpFrom, firstValue, type CallContext } from './context.js';
import { classifyDependencyError } from './dependency-errors.js';
import { InflightLimit, overloaded } from './load-shed.js';
import { IdempotencyKeys, type IdempotencyOptions } from './idempotency.js';
import { mutatingMethods } from './idempotency-rules.js';
import { rpcDuration, rpcErrors, rpcRequests } from './metrics.js';
import { internalError, toServiceError } from './status.js';
import { RequestDecoding, UndecodableRequest } from './undecodable.js';

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

/** Handlers for every method of a ts-proto generated grpc-js service definition. */
export type ServiceHandlers<D extends ServiceDefinition> = {
  [K in keyof D]: D[K] extends MethodDefinition<infer Req, infer Res> ? UnaryHandler<Req, Res> : never;
};

export interface AddServiceOptions<D> {
  /** Fully-qualified service name, e.g. `flix.identity.v1.IdentityService` (for health status). */
  name: string;
  /** Methods callable without an access token. A token, when sent, is still verified. */
  publicMethods?: (keyof D & string)[];
  /** High-rate methods (heartbeats) whose successful calls are logged at debug, not info. */
  quietMethods?: (keyof D & string)[];
}

export interface GrpcServerOptions {
  /** Short service name, e.g. `identity`; used in logs, metrics and error domains. */
  service: string;
  logger: Logger;
  verifier: AccessTokenVerifier;
  /** FileDescriptorSet for server reflection. */
  descriptorSet?: Uint8Array;
  /** Upper bound for a call without a deadline (or with a longer one). */
  maxCallMs?: number;
  /** Calls handled at once; beyond it a call is refused at once with UNAVAILABLE + RetryInfo. Default 256. */
  maxInflightCalls?: number;
  /** Idempotency-Key support for the methods whose HTTP rule mutates (needs descriptorSet). */
  idempotency?: IdempotencyOptions;
}

/**
 * One gRPC server per process: health, reflection, and around every handler the same
 * interceptor chain — request id, caller identity, deadline, structured log line, metrics and
 * the single domain-error → status mapping.
 */
export class GrpcServer {
  readonly server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING' });
  private readonly serviceNames: string[] = [];
  private readonly domain: string;
  private readonly inflight: InflightLimit;
  private readonly idempotency?: IdempotencyKeys;
  private readonly decoding: RequestDecoding;

  constructor(private readonly opts: GrpcServerOptions) {
    this.domain = `flix.${opts.service}`;
    this.inflight = new InflightLimit(opts.service, opts.maxInflightCalls ?? 256);
    this.decoding = new RequestDecoding(opts.descriptorSet);
    if (opts.idempotency && opts.descriptorSet) {
      this.idempotency = new IdempotencyKeys({ ...opts.idempotency, service: opts.service, mutating: mutatingMethods(opts.descriptorSet) });
    }
    this.health.addToServer(this.server);
    if (opts.descriptorSet) {
      const reflection = new ReflectionService(loadFileDescriptorSetFromBuffer(Buffer.from(opts.descriptorSet)));
      reflection.addToServer(this.server);
    }
  }

  add<D extends ServiceDefinition>(definition: D, handlers: ServiceHandlers<D>, options: AddServiceOptions<D>): void {
    const publicMethods = new Set<string>(options.publicMethods ?? []);
    const quietMethods = new Set<string>(options.quietMethods ?? []);
    const impl: UntypedServiceImplementation = {};
    const decoded: Record<string, MethodDefinition<unknown, unknown>> = {};
    for (const key of Object.keys(definition)) {
      const method = definition[key] as MethodDefinition<unknown, unknown>;
      decoded[key] = this.decoding.wrap(method);
      const given = handlers[key as keyof D] as UnaryHandler<unknown, unknown>;
      const handler = this.idempotency?.wrap(method, given) ?? given;
      impl[key] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
        void this.handle(method.path, handler, !publicMethods.has(key), quietMethods.has(key), call, callback);
    }
    this.server.addService(decoded, impl);
    this.serviceNames.push(options.name);
    this.health.setStatus(options.name, 'NOT_SERVING');
  }

  private async handle(
    path: string,
    handler: UnaryHandler<unknown, unknown>,
    requiresAuth: boolean,
    quiet: boolean,
    call: ServerUnaryCall<unknown, unknown>,
    callback: sendUnaryData<unknown>,
  ): Promise<void> {
    if (!this.inflight.tryAcquire(path.slice(path.lastIndexOf('/') + 1))) {
      callback(toServiceError(overloaded(this.opts.service, this.inflight.max), this.domain), null);
      return;
    }
    const started = process.hrtime.bigint();
    const md = call.metadata;
    const requestId = firstValue(md, 'x-request-id') ?? randomUUID();
    const methodName = path.slice(path.lastIndexOf('/') + 1);
    let caller: Caller | undefined;
    // The request's child logger is made when something logs (a quiet call at info never does).
    let requestLogger: Logger | undefined;
    const log = (): Logger => (requestLogger ??= this.opts.logger.child({ rpc: methodName, requestId, ...(caller ? { sub: caller.principal.subject } : {}) }));
    const abort = new AbortController();
    const maxMs = this.opts.maxCallMs ?? 30_000;
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
    const budget = Number.isFinite(deadlineMs) && deadlineMs > 0 ? Math.min(deadlineMs - Date.now(), maxMs) : maxMs;
    const timer = setTimeout(() => abort.abort(new DomainError('unavailable', 'DEADLINE_EXCEEDED', 'deadline exceeded')), Math.max(budget, 0));
    // grpc-js also reports 'cancelled' when a finished call's stream closes: only a live call is cancelled.
    let done = false;
    call.on('cancelled', () => {
      if (!done) abort.abort(new DomainError('unavailable', 'CANCELLED', 'cancelled by the client'));
    });
    let code: Code = Code.OK;
    // Response headers the handler set; sent just before the answer, whatever it is.
    let responseHeaders: Metadata | undefined;
    const answer = (...args: Parameters<sendUnaryData<unknown>>) => {
      done = true;
      if (responseHeaders) call.sendMetadata(responseHeaders);
      callback(...args);
    };
    try {
      const accessToken = bearerToken(firstValue(md, 'authorization'));
      if (accessToken) caller = { principal: await this.opts.verifier(accessToken), accessToken };
      else if (requiresAuth) throw unauthenticated('this call needs an access token: send "authorization: Bearer <token>"');
      if (call.request instanceof UndecodableRequest) throw call.request.error;
      const ctx: CallContext = {
        method: path,
        principal: caller?.principal,
        caller,
        requestId,
        clientIp: clientIpFrom(md, call.getPeer()),
        traceparent: firstValue(md, 'traceparent'),
        userAgent: firstValue(md, 'user-agent'),
        get logger() {
          return log();
        },
        signal: abort.signal,
        metadata: md,
        setResponseHeader(name, value) {
          const key = checkResponseHeaderName(name);
          if (done) return;
          const values = typeof value === 'string' ? [value] : value;
          responseHeaders ??= new Metadata();
          responseHeaders.remove(key);
          for (const v of values) responseHeaders.add(key, v);
        },
      };
      if (budget <= 0) throw new DomainError('unavailable', 'DEADLINE_EXCEEDED', 'deadline exceeded before the call started');
      const response = await Promise.race([
        handler(call.request, ctx),
        new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason))),
      ]);
      answer(null, response);
    } catch (thrown) {
      // A driver error saying MongoDB or NATS is away becomes UNAVAILABLE with RetryInfo here, once for every service.
      const err = classifyDependencyError(thrown) ?? thrown;
      if (isDomainError(err)) {
        const se = err.reason === 'DEADLINE_EXCEEDED' ? { code: Code.DEADLINE_EXCEEDED, details: err.message } : toServiceError(err, this.domain);
        code = se.code ?? Code.UNKNOWN;
        answer(se, null);
      } else {
        code = Code.INTERNAL;
        rpcErrors.inc({ service: this.opts.service, method: methodName });
        log().error({ err }, 'unexpected error');
        answer(internalError(), null);
      }
    } finally {
      done = true;
      this.inflight.release();
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      rpcDuration.observe({ service: this.opts.service, method: methodName, code: Code[code] }, seconds);
      rpcRequests.inc({ service: this.opts.service, method: methodName, code: Code[code] });
      const line = { code: Code[code], ms: Math.round(seconds * 1e4) / 10 };
      if (!(quiet && code === Code.OK)) log().info(line, 'rpc');
      else if (this.opts.logger.isLevelEnabled('debug')) log().debug(line, 'rpc');
    }
  }

  /** Binds and starts; returns the bound port (useful with port 0 in tests). */
  start(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      );
    });
  }

  /** Flips grpc.health.v1 for the whole server and each service. */
  setServing(serving: boolean): void {
    const s = serving ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', s);
    for (const name of this.serviceNames) this.health.setStatus(name, s);
  }

  /** Stops accepting calls, lets in-flight ones finish for up to graceMs, then forces. */
  async stop(graceMs = 5_000): Promise<void> {
    this.setServing(false);
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
