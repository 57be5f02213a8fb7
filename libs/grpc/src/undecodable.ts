import { loadFileDescriptorSetFromBuffer, type MethodDefinition as LoaderMethod, type PackageDefinition } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/grpc-js';
import { invalidArgument, type DomainError } from '@flix/errors';

/**
 * A request the service's generated decoder refused. The generated code reads int64 as a JS
 * number and throws beyond 2^53 − 1, while the gateway (like Envoy) accepts the whole int64 range:
 * without this, such a request became grpc-js's INTERNAL "Error deserializing request" (a 500).
 */
export class UndecodableRequest {
  constructor(readonly error: DomainError) {}
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Finds the first integer field (by JSON path) a JS number cannot hold, in a longs-as-strings decode. */
function unsafeIntegerPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string' && /^-?\d{16,}$/.test(value)) {
    const n = BigInt(value);
    return n > MAX_SAFE || n < -MAX_SAFE ? path : undefined;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = unsafeIntegerPath(item, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [key, item] of Object.entries(value)) {
      const found = unsafeIntegerPath(item, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Wraps each method's request decoder so a refused request reaches the handler chain as an
 * UndecodableRequest (answered INVALID_ARGUMENT naming the field) instead of failing inside grpc-js.
 */
export class RequestDecoding {
  private readonly lenient?: PackageDefinition;

  constructor(descriptorSet?: Uint8Array) {
    // A second view of the same descriptors that reads int64 as strings, only to name the field.
    if (descriptorSet) this.lenient = loadFileDescriptorSetFromBuffer(Buffer.from(descriptorSet), { longs: String });
  }

  wrap(method: MethodDefinition<unknown, unknown>): MethodDefinition<unknown, unknown> {
    return {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new UndecodableRequest(this.explain(method.path, bytes, err));
        }
      },
    };
  }

  private explain(path: string, bytes: Buffer, err: unknown): DomainError {
    const [service = '', name = ''] = path.slice(1).split('/');
    const lenient = this.lenient?.[service] as Record<string, LoaderMethod<object, object>> | undefined;
    try {
      const field = lenient?.[name] && unsafeIntegerPath(lenient[name].requestDeserialize(bytes), '');
      if (field) return invalidArgument(field, `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`);
    } catch {
      // Not decodable at all: the generic answer below.
    }
    const detail = err instanceof Error ? err.message : String(err);
    return invalidArgument('body', `the request could not be decoded (${detail})`, 'MALFORMED_REQUEST');
  }
}
