import type { IncomingMessage } from 'node:http';

export interface BodyLimit {
  maxBytes: number;
  /** The error the emulator answers an oversized body with, in its API's own shape. */
  tooLarge: () => Error;
}

/** A request body as UTF-8 text; past the limit the request is dropped and `tooLarge()` rejects. */
export function readBody(req: IncomingMessage, limit: BodyLimit): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit.maxBytes) {
        reject(limit.tooLarge());
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
