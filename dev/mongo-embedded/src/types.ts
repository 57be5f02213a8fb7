/** A BSON document as `bson` deserializes it (promoted numbers, ObjectId, Date, Binary, …). */
export type Doc = Record<string, unknown>;

export interface Logger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
  error(o: object, msg?: string): void;
}
