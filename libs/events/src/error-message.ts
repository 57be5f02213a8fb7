/** The message of anything thrown, for logs and DLQ reasons. */
export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
