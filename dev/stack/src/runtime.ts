/**
 * How `make run` starts its Node processes. By default from build/dist (scripts/build-dist.mjs:
 * one JavaScript bundle per entry, rebuilt here when a source is newer), so no process
 * transpiles TypeScript at start. FLIX_STACK_RUNTIME=tsx runs the TypeScript sources through tsx
 * instead, as `make run` did before (a slower start; for comparison and for debugging).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// Types only: the script itself is loaded from the repo at run time (not bundled into the stack).
import type * as BuildDist from '../../../scripts/build-dist.mjs';

export type StackRuntime = 'dist' | 'tsx';

/** Node's arguments that run one entry of build/dist (e.g. `identity`, `mongo-embedded`). */
export type NodeArgs = (entry: string) => string[];

/**
 * The repository root: the nearest folder upwards holding the workspaces' package.json. This
 * module runs from dev/stack/src and bundled into build/dist/stack.mjs, at different depths.
 */
export function repoRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && 'workspaces' in (JSON.parse(readFileSync(manifest, 'utf8')) as object)) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json with workspaces above ${from}`);
  }
}

export function stackRuntime(env: NodeJS.ProcessEnv = process.env): StackRuntime {
  const value = env.FLIX_STACK_RUNTIME ?? 'dist';
  if (value !== 'dist' && value !== 'tsx') throw new Error(`FLIX_STACK_RUNTIME must be dist or tsx, got "${value}"`);
  return value;
}

/**
 * Prepares the runtime (in `dist`, rebuilds build/dist when stale) and returns how to start an
 * entry with it. `onBuilt` hears about a rebuild, for the log.
 */
export async function prepareRuntime(root: string, runtime: StackRuntime, onBuilt: (reason: string, ms: number) => void): Promise<NodeArgs> {
  const dist = (await import(pathToFileURL(join(root, 'scripts/build-dist.mjs')).href)) as typeof BuildDist;
  const entries = dist.entries(root);
  const known = (entry: string) => {
    if (!(entry in entries)) throw new Error(`scripts/build-dist.mjs has no entry named ${entry}`);
  };
  if (runtime === 'tsx') {
    return (entry) => (known(entry), ['--import', 'tsx', join(root, entries[entry]!)]);
  }
  const outcome = await dist.ensureDist(root);
  if (outcome.built) onBuilt(outcome.reason, outcome.ms);
  // Source maps: stack traces name the TypeScript files and lines, as they did under tsx.
  return (entry) => (known(entry), ['--enable-source-maps', dist.distFile(entry, root)]);
}
