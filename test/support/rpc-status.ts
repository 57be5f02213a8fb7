/**
 * What a client may rely on in an error answer: a google.rpc.Status JSON body whose code matches
 * the HTTP status (the standard gRPC → HTTP mapping), details that are typed Any messages, and
 * field violations (google.rpc.BadRequest) whenever a service refused an argument.
 */

/** gRPC codes each HTTP status may carry. */
export const CODES_FOR_HTTP: Record<number, number[]> = {
  400: [3, 9, 11], // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE
  401: [16],
  403: [7],
  404: [5],
  409: [6, 10], // ALREADY_EXISTS, ABORTED
  413: [8], // the gateway's body limit (envoy.yaml's local_reply mapper)
  429: [8],
  431: [8],
  414: [8],
  499: [1],
  501: [12],
  503: [14],
  504: [4],
};

export interface StatusJson {
  code: number;
  message: string;
  details?: { '@type': string; [k: string]: unknown }[];
}

const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';
const ERROR_INFO = 'type.googleapis.com/google.rpc.ErrorInfo';

/** Problems with an error answer, empty when it is a proper google.rpc.Status for `status`. */
export function statusProblems(status: number, body: unknown, contentType: string | undefined): string[] {
  const problems: string[] = [];
  if (!(contentType ?? '').startsWith('application/json')) problems.push(`content-type ${contentType ?? '(none)'} is not application/json`);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [...problems, 'body is not a JSON object'];
  const s = body as Partial<StatusJson>;
  if (typeof s.code !== 'number') problems.push('no numeric code');
  if (typeof s.message !== 'string' || s.message.length === 0) problems.push('no message');
  const allowed = CODES_FOR_HTTP[status];
  if (typeof s.code === 'number' && allowed && !allowed.includes(s.code)) problems.push(`code ${s.code} does not match HTTP ${status} (expected one of ${allowed.join(', ')})`);
  if (s.details !== undefined) {
    if (!Array.isArray(s.details)) problems.push('details is not a list');
    else if (s.details.some((d) => typeof d?.['@type'] !== 'string')) problems.push('a detail has no @type');
    // A service's INVALID_ARGUMENT (it carries ErrorInfo) says which fields were wrong.
    else if (s.code === 3 && s.details.some((d) => d['@type'] === ERROR_INFO)) {
      const br = s.details.find((d) => d['@type'] === BAD_REQUEST) as { fieldViolations?: { field?: string }[] } | undefined;
      if (!br?.fieldViolations?.length || br.fieldViolations.some((v) => !v.field)) problems.push('INVALID_ARGUMENT from a service without google.rpc.BadRequest field violations');
    }
  }
  return problems;
}
