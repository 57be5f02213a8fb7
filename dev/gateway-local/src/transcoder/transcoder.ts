/**
 * The gRPC-JSON transcoder as configured in the YAML: methods registered from their
 * google.api.http rules, HTTP requests matched and turned into gRPC calls, gRPC responses and
 * statuses turned back into proto3 JSON. No per-service code: everything comes from descriptors.
 */
import {
  type DescExtension,
  type DescField,
  type DescMessage,
  type DescMethod,
  fromBinary,
  fromJson,
  getOption,
  hasOption,
  type JsonValue,
  type JsonWriteOptions,
  type Registry,
  toJson,
} from '@bufbuild/protobuf';
import type { TranscoderConfig } from '../config/envoy-config.js';
import { EnvoyConfigError } from '../config/reader.js';
import { isUrlEscaped, PathMatcher, urlUnescape } from './path-matcher.js';
import { buildRequest, findField, HTTP_BODY, isHttpBody, type ResolvedBinding, TranscodeError } from './request.js';
import { decodeGrpcMessage, grpcToHttpStatus, retryAfterFromStatusJson, statusSchema } from './status.js';

interface HttpRule {
  method: string;
  path: string;
  body: string;
  responseBody: string;
}

interface MethodInfo {
  desc: DescMethod;
  responseBodyFields: DescField[];
  /** The response is a google.api.HttpBody (whole, or the response_body field). */
  responseIsHttpBody: boolean;
}

interface Registration {
  info: MethodInfo;
  bodyFields: DescField[];
}

export interface TranscodeMatch {
  registration: Registration;
  bindings: { fieldPath: string[]; value: string }[];
}

/** The result of resolving a match's bindings, or the early reply Envoy would send. */
export type Resolution = { ok: true; bindings: ResolvedBinding[] } | { ok: false; status: number; message: string };

export interface GrpcResponse {
  /** HTTP :status of the upstream response. */
  status: number;
  headers: Record<string, string | string[] | undefined>;
  trailers?: Record<string, string | string[] | undefined>;
  trailersOnly: boolean;
  body: Buffer;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** Envoy's transcoder holds a unary response in a buffer bounded by the connection buffer limit. */
export const RESPONSE_BUFFER_LIMIT = 1024 * 1024;

function header(h: Record<string, string | string[] | undefined> | undefined, name: string): string | undefined {
  const v = h?.[name];
  return Array.isArray(v) ? v[0] : v;
}

function resolveFieldPath(message: DescMessage, names: string[]): DescField[] {
  const out: DescField[] = [];
  let current: DescMessage | undefined = message;
  names.forEach((name, i) => {
    // A query name may itself be URL-escaped; protobuf's type helper tries both spellings.
    const field = findField(current!, name) ?? (isUrlEscaped(name) ? findField(current!, urlUnescape(name, 'ALL_CHARACTERS')) : undefined);
    if (!field) throw new TranscodeError(`Could not find field "${name}" in the type "${current!.typeName}".`);
    out.push(field);
    if (i < names.length - 1) {
      if (field.fieldKind !== 'message') {
        throw new TranscodeError(`Encountered a non-leaf field "${field.name}" that is not a message while parsing a field path`);
      }
      current = field.message;
    }
  });
  return out;
}

export class Transcoder {
  private readonly matcher: PathMatcher<Registration>;
  private readonly jsonOptions: Partial<JsonWriteOptions>;
  readonly methods: MethodInfo[] = [];

  constructor(
    readonly config: TranscoderConfig,
    private readonly registry: Registry,
  ) {
    this.matcher = new PathMatcher<Registration>({
      unescapeSpec: config.urlUnescapeSpec,
      queryParamUnescapePlus: config.queryParamUnescapePlus,
      matchUnregisteredCustomVerb: config.matchUnregisteredCustomVerb,
    });
    this.jsonOptions = {
      registry,
      alwaysEmitImplicit: config.printOptions.alwaysPrintPrimitiveFields,
      enumAsInteger: config.printOptions.alwaysPrintEnumsAsInts,
      useProtoFieldName: config.printOptions.preserveProtoFieldNames,
    };
    const httpExt = registry.getExtension('google.api.http');
    const systemParams = new Set(config.ignoredQueryParameters);
    for (const serviceName of config.services) {
      const service = registry.getService(serviceName);
      if (!service) throw new EnvoyConfigError(`transcoding_filter: Could not find '${serviceName}' in the proto descriptor`);
      for (const method of service.methods) {
        const rule = this.ruleFor(method, httpExt);
        if (!rule) continue;
        const fail = (why: string) => new EnvoyConfigError(`transcoding_filter: Cannot register '${method.parent.typeName}.${method.name}': ${why}`);
        if (method.methodKind !== 'unary') throw fail('streaming methods are not supported by the local gateway');
        const info = this.methodInfo(method, rule, fail);
        this.methods.push(info);
        for (const r of [rule, ...rule.additional]) {
          let bodyFields: DescField[];
          try {
            bodyFields = r.body === '*' || r.body === '' ? [] : resolveFieldPath(method.input, r.body.split('.'));
          } catch (err) {
            throw fail((err as Error).message);
          }
          if (!this.matcher.register(r.method, r.path, r.body, systemParams, { info, bodyFields })) {
            throw new EnvoyConfigError(`transcoding_filter: Cannot register '${method.parent.typeName}.${method.name}' to path matcher`);
          }
        }
      }
    }
  }

  private ruleFor(method: DescMethod, httpExt: DescExtension | undefined): (HttpRule & { additional: HttpRule[] }) | undefined {
    if (httpExt && hasOption(method, httpExt)) {
      const json = toJson(httpExt.message!, getOption(method, httpExt) as never, { useProtoFieldName: true }) as Record<string, unknown>;
      const one = (r: Record<string, unknown>): HttpRule | undefined => {
        for (const verb of ['get', 'put', 'post', 'delete', 'patch']) {
          if (typeof r[verb] === 'string') {
            return { method: verb.toUpperCase(), path: r[verb] as string, body: (r.body as string) ?? '', responseBody: (r.response_body as string) ?? '' };
          }
        }
        const custom = r.custom as { kind?: string; path?: string } | undefined;
        if (custom?.kind && custom.path) return { method: custom.kind, path: custom.path, body: (r.body as string) ?? '', responseBody: (r.response_body as string) ?? '' };
        return undefined;
      };
      const top = one(json);
      if (!top) return undefined;
      const additional = ((json.additional_bindings as Record<string, unknown>[] | undefined) ?? []).flatMap((a) => {
        const r = one(a);
        return r ? [r] : [];
      });
      return { ...top, additional };
    }
    if (this.config.autoMapping) {
      return { method: 'POST', path: `/${method.parent.typeName}/${method.name}`, body: '*', responseBody: '', additional: [] };
    }
    return undefined;
  }

  private methodInfo(method: DescMethod, rule: HttpRule, fail: (why: string) => Error): MethodInfo {
    let responseBodyFields: DescField[] = [];
    if (rule.responseBody) {
      try {
        responseBodyFields = resolveFieldPath(method.output, rule.responseBody.split('.'));
      } catch (err) {
        throw fail((err as Error).message);
      }
    }
    const last = responseBodyFields.at(-1);
    const responseIsHttpBody = last ? isHttpBody(last.message) : isHttpBody(method.output);
    if (last && !responseIsHttpBody) {
      // Envoy refuses to load such a method; the local gateway does the same.
      throw fail(`Setting "response_body" is not supported yet for non-HttpBody fields: ${method.parent.typeName}.${method.name}`);
    }
    return { desc: method, responseBodyFields, responseIsHttpBody };
  }

  /** Finds the method for an HTTP request (path without the query string). */
  match(httpMethod: string, path: string, query: string): TranscodeMatch | undefined {
    const r = this.matcher.lookup(httpMethod, path, query);
    return r ? { registration: r.method, bindings: r.bindings } : undefined;
  }

  /** Resolves bindings to fields; unknown ones follow the YAML's query-parameter policy. */
  resolve(m: TranscodeMatch): Resolution {
    const out: ResolvedBinding[] = [];
    for (const b of m.bindings) {
      // Empty names ("a..b", "..") are skipped, as protobuf's path splitting does.
      const names = b.fieldPath.filter((p) => p.length > 0);
      if (names.length === 0) continue;
      try {
        out.push({ fields: resolveFieldPath(m.registration.info.desc.input, names), value: b.value });
      } catch (err) {
        if (this.config.ignoreUnknownQueryParameters) continue;
        return { ok: false, status: 400, message: (err as Error).message };
      }
    }
    return { ok: true, bindings: out };
  }

  /** Binary request message; throws TranscodeError for a 400. */
  requestMessage(m: TranscodeMatch, bindings: ResolvedBinding[], body: Buffer, contentType: string | undefined): Uint8Array {
    return buildRequest(
      { input: m.registration.info.desc.input, bodyFields: m.registration.bodyFields, bindings, body, contentType },
      { registry: this.registry, caseInsensitiveEnumParsing: this.config.caseInsensitiveEnumParsing },
    );
  }

  grpcPath(m: TranscodeMatch): string {
    const d = m.registration.info.desc;
    return `/${d.parent.typeName}/${d.name}`;
  }

  /**
   * The HTTP response Envoy's transcoder produces for an upstream response, or a local reply
   * (status + message) when the response cannot be transcoded.
   */
  response(m: TranscodeMatch, res: GrpcResponse): { kind: 'response'; response: HttpResponse } | { kind: 'local'; status: number; message: string } {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !k.startsWith(':')) headers[k] = v;
    const contentType = header(res.headers, 'content-type') ?? '';
    const isGrpc = res.trailersOnly ? header(res.headers, 'grpc-status') !== undefined : res.status === 200 && contentType.startsWith('application/grpc');
    if (!isGrpc) return { kind: 'response', response: { status: res.status, headers, body: res.body } };

    const trailers = res.trailersOnly ? res.headers : res.trailers;
    const rawStatus = header(trailers, 'grpc-status');
    const grpcStatus = rawStatus !== undefined && /^\d+$/.test(rawStatus) ? Number(rawStatus) : undefined;

    let frames: Buffer[];
    try {
      frames = parseFrames(res.body);
    } catch (err) {
      return { kind: 'local', status: 502, message: (err as Error).message };
    }
    if (res.body.length > RESPONSE_BUFFER_LIMIT) {
      return {
        kind: 'local',
        status: 500,
        message: "Response not transcoded because the transcoder's internal buffer size exceeds the configured limit.",
      };
    }
    const hasBody = res.body.length > 0;

    if (this.config.convertGrpcStatus && grpcStatus !== undefined && grpcStatus !== 0 && !hasBody) {
      const json = this.statusJson(grpcStatus, trailers);
      if (json !== undefined) {
        if (res.trailersOnly) {
          // The status travels in the JSON body; Envoy drops the gRPC status headers.
          delete headers['grpc-status'];
          delete headers['grpc-message'];
          delete headers['grpc-status-details-bin'];
        }
        headers['content-type'] = 'application/json';
        // A client told when to retry (RetryInfo) gets it as Retry-After too, unless the service set one.
        if (headers['retry-after'] === undefined) {
          const retryAfter = retryAfterFromStatusJson(json);
          if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
        }
        return { kind: 'response', response: { status: grpcToHttpStatus(grpcStatus), headers, body: Buffer.from(json) } };
      }
    }

    let body: Buffer = Buffer.alloc(0);
    if (!res.trailersOnly) {
      headers['content-type'] = 'application/json';
      if (frames.length > 0) {
        try {
          const rendered = this.renderMessage(m.registration.info, frames[0]!);
          body = rendered.body;
          if (rendered.contentType !== undefined) headers['content-type'] = rendered.contentType;
        } catch (err) {
          return { kind: 'local', status: 502, message: (err as Error).message };
        }
      }
    }
    let status: number;
    if (grpcStatus === undefined) status = 503;
    else {
      status = grpcToHttpStatus(grpcStatus);
      if (!res.trailersOnly) headers['grpc-status'] = String(grpcStatus);
    }
    if (!res.trailersOnly) {
      const msg = header(trailers, 'grpc-message');
      if (msg !== undefined) headers['grpc-message'] = msg;
    }
    return { kind: 'response', response: { status, headers, body } };
  }

  private renderMessage(info: MethodInfo, bytes: Buffer): { body: Buffer; contentType?: string } {
    const output = info.desc.output;
    const message = fromBinary(output, bytes);
    if (info.responseIsHttpBody) {
      let json = toJson(output, message, { registry: this.registry, useProtoFieldName: true }) as Record<string, unknown>;
      for (const f of info.responseBodyFields) json = (json[f.name] as Record<string, unknown> | undefined) ?? {};
      const data = typeof json.data === 'string' ? Buffer.from(json.data, 'base64') : Buffer.alloc(0);
      return { body: data, contentType: typeof json.content_type === 'string' ? json.content_type : '' };
    }
    const json = typeFirst(toJson(output, message, this.jsonOptions));
    return { body: Buffer.from(this.config.printOptions.addWhitespace ? JSON.stringify(json, null, 1) : JSON.stringify(json)) };
  }

  /** google.rpc.Status JSON from grpc-status-details-bin, or from grpc-status + grpc-message. */
  private statusJson(code: number, trailers: Record<string, string | string[] | undefined> | undefined): string | undefined {
    const schema = statusSchema(this.registry);
    try {
      const bin = header(trailers, 'grpc-status-details-bin');
      const status =
        bin !== undefined
          ? fromBinary(schema, Buffer.from(bin, 'base64'))
          : fromJson(schema, { code, message: decodeGrpcMessage(header(trailers, 'grpc-message') ?? '') });
      return JSON.stringify(typeFirst(toJson(schema, status, this.jsonOptions)));
    } catch {
      // A detail whose type the descriptor set lacks: Envoy then leaves the status unconverted.
      return undefined;
    }
  }
}

/** protobuf's C++ printer (Envoy's) writes an Any's "@type" before its fields; so do we. */
function typeFirst(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(typeFirst);
  if (v === null || typeof v !== 'object') return v;
  const out: { [key: string]: JsonValue } = {};
  if ('@type' in v) out['@type'] = v['@type']!;
  for (const [k, item] of Object.entries(v)) if (k !== '@type') out[k] = typeFirst(item);
  return out;
}

/** Splits a gRPC body into messages. Compressed messages are refused: nothing asked for them. */
export function parseFrames(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < body.length) {
    if (i + 5 > body.length) throw new Error('incomplete gRPC frame in the upstream response');
    const compressed = body[i]!;
    const len = body.readUInt32BE(i + 1);
    if (i + 5 + len > body.length) throw new Error('incomplete gRPC frame in the upstream response');
    if (compressed & 1) throw new Error('compressed gRPC messages are not supported');
    out.push(body.subarray(i + 5, i + 5 + len));
    i += 5 + len;
  }
  return out;
}

export { HTTP_BODY, TranscodeError };
