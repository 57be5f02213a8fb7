// The closure of named packages (each with everything it needs), read from package-lock.json.
// web/Dockerfile uses --dry-run to gather only the packages its server's bundle imports
// (`scripts/build-dist.mjs --externals web-server`); without --dry-run it runs
// `npm prune --omit=dev` but keeps the named dev dependencies, should an image ever need one at
// run time (the services' image needs none since they run compiled: it prunes plainly).
//
//   node deploy/docker/prune-dev-deps.mjs --dry-run sirv pino zod   (prints the closure's folders)
//   node deploy/docker/prune-dev-deps.mjs <package> [...]           (prunes, keeping those)
//
// The closure follows node's resolution rules over the lockfile's `packages` paths. Pruning copies
// it aside, runs `npm prune --omit=dev`, and copies back whatever the prune removed from it.
// Nothing is downloaded and nothing is rebuilt.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
const keep = args.filter((arg) => arg !== '--dry-run');
if (keep.length === 0) {
  console.error('usage: node deploy/docker/prune-dev-deps.mjs [--dry-run] <package> [...]');
  process.exit(2);
}

const root = process.cwd();
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
const packages = lock.packages ?? {};

/** Lockfile path of `name` as required from the package at lockfile path `from` ('' = root). */
function resolve(from, name) {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const at = dir.lastIndexOf('/node_modules/');
    dir = at >= 0 ? dir.slice(0, at) : ''; // a top-level package or a workspace folder: root next
  }
}

const closure = new Set();
const queue = [];
for (const name of keep) {
  const path = resolve('', name);
  if (!path) {
    console.error(`prune-dev-deps: ${name} is not in package-lock.json`);
    process.exit(1);
  }
  queue.push(path);
}
while (queue.length > 0) {
  const path = queue.pop();
  if (closure.has(path)) continue;
  closure.add(path);
  const entry = packages[path];
  const deps = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
  for (const name of Object.keys(deps)) {
    const dep = resolve(path, name);
    // Optional dependencies for other platforms (e.g. @esbuild/darwin-arm64) are in the lockfile
    // but not on disk; only what npm ci actually installed is kept.
    if (dep && existsSync(join(root, dep))) queue.push(dep);
  }
}

const kept = [...closure].filter((path) => existsSync(join(root, path))).sort();
if (dryRun) {
  for (const path of kept) console.log(path);
  process.exit(0);
}

const aside = mkdtempSync(join(tmpdir(), 'flix-keep-'));
for (const path of kept) cpSync(join(root, path), join(aside, path), { recursive: true, verbatimSymlinks: true });

execFileSync('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });

let restored = 0;
for (const path of kept) {
  if (existsSync(join(root, path))) continue;
  cpSync(join(aside, path), join(root, path), { recursive: true, verbatimSymlinks: true });
  restored += 1;
}
rmSync(aside, { recursive: true, force: true });
console.error(`prune-dev-deps: pruned dev dependencies, kept ${keep.join(', ')} (${restored} of ${kept.length} package folders restored)`);
