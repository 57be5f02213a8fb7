import { HttpRule } from '@flix/proto/google/api/http';

/** HTTP verbs that change state: the methods whose calls an Idempotency-Key can protect. */
const MUTATING_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Field number of the `google.api.http` extension on MethodOptions. */
const HTTP_RULE_EXTENSION = 72295728;

/**
 * Full gRPC paths (`/flix.identity.v1.IdentityService/Register`) of every method whose
 * `google.api.http` rule (or one of its additional bindings) is POST, PUT, PATCH or DELETE, read
 * from a FileDescriptorSet. The generated descriptor types drop extensions, so the few fields on
 * the way to the rule are read from the wire directly.
 */
export function mutatingMethods(descriptorSet: Uint8Array): Set<string> {
  const out = new Set<string>();
  for (const file of lengthDelimited(descriptorSet, 1)) {
    const pkg = strings(file, 2)[0] ?? '';
    for (const service of lengthDelimited(file, 6)) {
      const serviceName = strings(service, 1)[0] ?? '';
      for (const method of lengthDelimited(service, 2)) {
        const methodName = strings(method, 1)[0] ?? '';
        const rules = lengthDelimited(method, 4).flatMap((options) => lengthDelimited(options, HTTP_RULE_EXTENSION));
        if (rules.some((bytes) => isMutating(HttpRule.decode(bytes)))) out.add(`/${pkg ? `${pkg}.` : ''}${serviceName}/${methodName}`);
      }
    }
  }
  return out;
}

function verbOf(rule: HttpRule): string | undefined {
  if (rule.get !== undefined) return 'GET';
  if (rule.put !== undefined) return 'PUT';
  if (rule.post !== undefined) return 'POST';
  if (rule.delete !== undefined) return 'DELETE';
  if (rule.patch !== undefined) return 'PATCH';
  return rule.custom?.kind.toUpperCase();
}

function isMutating(rule: HttpRule): boolean {
  const verb = verbOf(rule);
  return (verb !== undefined && MUTATING_VERBS.has(verb)) || rule.additionalBindings.some(isMutating);
}

const decoder = new TextDecoder();
const strings = (message: Uint8Array, field: number) => lengthDelimited(message, field).map((b) => decoder.decode(b));

/** Every length-delimited value of `field` in a serialized message (other fields are skipped). */
function lengthDelimited(message: Uint8Array, field: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = message[pos++];
      if (byte === undefined || shift > 63) throw new Error('descriptor set: truncated varint');
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (pos < message.length) {
    const tag = varint();
    const number = Math.floor(tag / 8);
    switch (tag % 8) {
      case 0:
        varint();
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const length = varint();
        if (pos + length > message.length) throw new Error('descriptor set: truncated field');
        if (number === field) out.push(message.subarray(pos, pos + length));
        pos += length;
        break;
      }
      default:
        throw new Error(`descriptor set: unsupported wire type ${tag % 8}`);
    }
  }
  return out;
}
