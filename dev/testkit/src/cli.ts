/** What the local emulators' command lines share: JSON log lines on stderr, and exit 2 naming the bad flag. */
export interface CliLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export function cliTools(name: string): {
  logger: CliLogger;
  fail(message: string): never;
  int(flag: string, raw: string | undefined, min: number, max: number): number | undefined;
} {
  const log =
    (level: string) =>
    (fields: object, msg: string): void => {
      process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), name, ...fields, msg })}\n`);
    };
  const fail = (message: string): never => {
    process.stderr.write(`${name}: ${message}\n`);
    process.exit(2);
  };
  return {
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    fail,
    int(flag, raw, min, max) {
      if (raw === undefined) return undefined;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) fail(`--${flag} must be an integer in ${min}..${max}, got "${raw}"`);
      return n;
    },
  };
}
