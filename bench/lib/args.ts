/** `--name value` from the command line, or the fallback. */
export function stringArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** `--name 123` from the command line, or the fallback. */
export const arg = (name: string, fallback: number): number => Number(stringArg(name, String(fallback)));
