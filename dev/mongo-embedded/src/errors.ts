import type { Doc } from './types.js';

/**
 * A command failure in MongoDB's own shape ({ok:0, errmsg, code, codeName}); the driver turns it
 * into MongoServerError with the same code, so callers branch on codes exactly as with mongod.
 */
export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    /** Extra reply fields, e.g. keyPattern/keyValue for DuplicateKey. */
    readonly extra: Doc = {},
    readonly errorLabels: string[] = [],
  ) {
    super(message);
  }

  toReply(): Doc {
    const reply: Doc = { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
    if (this.errorLabels.length) reply.errorLabels = this.errorLabels;
    return reply;
  }

  /** The per-statement shape used inside writeErrors (no codeName there, like mongod). */
  toWriteError(index: number): Doc {
    return { index, code: this.code, errmsg: this.message, ...this.extra };
  }
}

// The codes used here, as listed in MongoDB's error_codes.yml.
export const Codes = {
  InternalError: [1, 'InternalError'],
  BadValue: [2, 'BadValue'],
  NoSuchKey: [4, 'NoSuchKey'],
  FailedToParse: [9, 'FailedToParse'],
  TypeMismatch: [14, 'TypeMismatch'],
  IllegalOperation: [20, 'IllegalOperation'],
  NamespaceNotFound: [26, 'NamespaceNotFound'],
  IndexNotFound: [27, 'IndexNotFound'],
  CursorNotFound: [43, 'CursorNotFound'],
  NamespaceExists: [48, 'NamespaceExists'],
  CommandNotFound: [59, 'CommandNotFound'],
  ImmutableField: [66, 'ImmutableField'],
  CannotCreateIndex: [67, 'CannotCreateIndex'],
  InvalidOptions: [72, 'InvalidOptions'],
  InvalidNamespace: [73, 'InvalidNamespace'],
  IndexOptionsConflict: [85, 'IndexOptionsConflict'],
  IndexKeySpecsConflict: [86, 'IndexKeySpecsConflict'],
  CommandNotSupported: [115, 'CommandNotSupported'],
  DocumentValidationFailure: [121, 'DocumentValidationFailure'],
  InvalidPipelineOperator: [168, 'InvalidPipelineOperator'],
  TransactionTooOld: [225, 'TransactionTooOld'],
  NoSuchTransaction: [251, 'NoSuchTransaction'],
  TransactionCommitted: [256, 'TransactionCommitted'],
  OperationNotSupportedInTransaction: [263, 'OperationNotSupportedInTransaction'],
  DuplicateKey: [11000, 'DuplicateKey'],
  BSONObjectTooLarge: [10334, 'BSONObjectTooLarge'],
} as const satisfies Record<string, readonly [number, string]>;

export type CodeName = keyof typeof Codes;

export function err(name: CodeName, message: string, extra?: Doc, labels?: string[]): CommandError {
  const [code, codeName] = Codes[name];
  return new CommandError(code, codeName, message, extra, labels);
}

/** Errors mongod reports with a "LocationNNNNN" code name (assertion ids, not named codes). */
export function locationErr(code: number, message: string): CommandError {
  return new CommandError(code, `Location${code}`, message);
}
