import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** FileDescriptorSet of every Flix proto and its imports, written by `npm run generate`. */
export const DESCRIPTOR_SET_PATH =
  process.env.FLIX_DESCRIPTOR_SET ?? join(dirname(fileURLToPath(import.meta.url)), '../../../build/flix.binpb');

export function readDescriptorSet(): Buffer {
  return readFileSync(DESCRIPTOR_SET_PATH);
}
