import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repo's build/flix.binpb, looked for from this module's folder upwards: this module runs from
 * its source (libs/proto/src) and bundled into build/dist/<entry>.mjs, at different depths.
 */
function findDescriptorSet(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'build/flix.binpb');
    if (existsSync(candidate)) return candidate;
    // Not generated yet: name the place `npm run generate` writes it, for the error message.
    if (dirname(dir) === dir) return join(here, '../../../build/flix.binpb');
  }
}

/** FileDescriptorSet of every Flix proto and its imports, written by `npm run generate`. */
export const DESCRIPTOR_SET_PATH = process.env.FLIX_DESCRIPTOR_SET ?? findDescriptorSet();

export function readDescriptorSet(): Buffer {
  return readFileSync(DESCRIPTOR_SET_PATH);
}
