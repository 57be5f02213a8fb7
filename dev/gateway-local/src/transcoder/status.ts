/**
 * gRPC status codes, the gRPC → HTTP mapping Envoy applies (Grpc::Utility::grpcToHttpStatus), and
 * google.rpc.Status decoding for error bodies.
 */
import { create, createFileRegistry, type DescMessage, fromBinary, type Registry } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  file_google_protobuf_any,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';

export const GRPC_TO_HTTP: Readonly<Record<number, number>> = {
  0: 200,
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

export function grpcToHttpStatus(code: number): number {
  return GRPC_TO_HTTP[code] ?? 500;
}

/** grpc-message is percent-encoded on the wire; malformed escapes are kept as they are. */
export function decodeGrpcMessage(value: string): string {
  const bytes: number[] = [];
  const src = Buffer.from(value, 'utf8');
  for (let i = 0; i < src.length; i++) {
    if (src[i] === 0x25 && i + 2 < src.length) {
      const hex = src.subarray(i + 1, i + 3).toString('latin1');
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
    }
    bytes.push(src[i]!);
  }
  return Buffer.from(bytes).toString('utf8');
}

let builtinStatus: DescMessage | undefined;

/**
 * google.rpc.Status from the descriptor set, or a built-in copy when the set lacks it (Envoy adds
 * its own copy too when convert_grpc_status is on).
 */
export function statusSchema(registry: Registry): DescMessage {
  const fromSet = registry.getMessage('google.rpc.Status');
  if (fromSet) return fromSet;
  if (!builtinStatus) {
    const file = create(FileDescriptorProtoSchema, {
      name: 'google/rpc/status.proto',
      package: 'google.rpc',
      dependency: ['google/protobuf/any.proto'],
      syntax: 'proto3',
      messageType: [
        {
          name: 'Status',
          field: [
            { name: 'code', number: 1, type: FieldDescriptorProto_Type.INT32, label: FieldDescriptorProto_Label.OPTIONAL, jsonName: 'code' },
            { name: 'message', number: 2, type: FieldDescriptorProto_Type.STRING, label: FieldDescriptorProto_Label.OPTIONAL, jsonName: 'message' },
            {
              name: 'details',
              number: 3,
              type: FieldDescriptorProto_Type.MESSAGE,
              label: FieldDescriptorProto_Label.REPEATED,
              typeName: '.google.protobuf.Any',
              jsonName: 'details',
            },
          ],
        },
      ],
    });
    const reg = createFileRegistry(file, (name) => (name === 'google/protobuf/any.proto' ? file_google_protobuf_any : undefined));
    builtinStatus = reg.getMessage('google.rpc.Status')!;
  }
  return builtinStatus;
}

export function decodeStatus(schema: DescMessage, bin: Uint8Array) {
  return fromBinary(schema, bin);
}

/**
 * Retry-After (whole seconds, at least 1) from a google.rpc.RetryInfo detail of a rendered status,
 * or undefined when it has none. Not something Envoy's transcoder does (see README: the local
 * gateway's differences); a service may also send retry-after itself, which is passed through.
 */
export function retryAfterFromStatusJson(json: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  const details = (parsed as { details?: unknown }).details;
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    if (d === null || typeof d !== 'object') continue;
    const { '@type': type, retryDelay } = d as { '@type'?: unknown; retryDelay?: unknown };
    if (typeof type !== 'string' || !type.endsWith('/google.rpc.RetryInfo')) continue;
    // Duration JSON: "1.500s".
    const m = typeof retryDelay === 'string' ? /^(\d+)(?:\.(\d+))?s$/.exec(retryDelay) : null;
    if (!m) return '1';
    const seconds = Number(m[1]) + (m[2] ? Number(`0.${m[2]}`) : 0);
    return String(Math.max(1, Math.ceil(seconds)));
  }
  return undefined;
}
