/** The logging the origin needs (the CLI writes JSON lines to stderr; tests pass nothing). */
export interface Logger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
