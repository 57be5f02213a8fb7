// Compiles every runnable entry point to JavaScript, so nothing transpiles TypeScript at start:
// each service (services/<name>/src/main.ts → build/dist/<name>.mjs), the local stand-ins
// `make run` starts (mongo-embedded, the *-emulators, video-origin), the web app's server
// (web-server) and the `make run` supervisor itself (stack).
//
//   node scripts/build-dist.mjs             build every entry (the Dockerfiles)
//   node scripts/build-dist.mjs --if-stale  build only when a source is newer than the build (make run)
//   node scripts/build-dist.mjs --outdir D  build every entry into D instead (checks; D must be
//                                           inside the repo, where node_modules is found from)
//   node scripts/build-dist.mjs --list      print each entry and its source
//   node scripts/build-dist.mjs --externals <entry>   the npm packages that bundle imports (from
//                                           the last build), one a line: what its image needs
//                                           (not those loaded through createRequire at run time)
//
// One esbuild bundle per entry: ESM for Node 20, with sourcemaps (run with --enable-source-maps
// for TypeScript lines in stack traces). The @flix/* workspace code and the generated protos are
// bundled; npm packages stay external and load from node_modules at run time (argon2 is a native
// addon; one install serves sources and bundles alike). A package a workspace has its own copy of
// (another version than the hoisted one, e.g. libs/grpc/node_modules/@grpc/proto-loader) is
// imported by its path relative to the bundle, so the bundle loads the very copy the sources do.
//
// build/dist/manifest.json lists every file that went into the bundles (esbuild's metafile): the
// staleness check stats those, so it costs milliseconds and needs no esbuild.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = 'build/dist';
const MANIFEST = 'manifest.json';
/** Bump when the build's options change in a way the inputs' mtimes do not show. */
const FORMAT = 1;

/** name → source file (relative to the repo root) of every entry point, in a stable order. */
export function entries(root = ROOT) {
  const out = {};
  const folders = (dir) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => entry.name)
          .sort()
      : [];
  for (const name of folders('services')) {
    if (existsSync(join(root, 'services', name, 'src/main.ts'))) out[name] = `services/${name}/src/main.ts`;
  }
  for (const name of folders('dev')) {
    if (name === 'mongo-embedded' || name === 'video-origin' || name.endsWith('-emulator')) {
      if (existsSync(join(root, 'dev', name, 'src/cli.ts'))) out[name] = `dev/${name}/src/cli.ts`;
    }
  }
  if (existsSync(join(root, 'web/server/main.ts'))) out['web-server'] = 'web/server/main.ts';
  if (existsSync(join(root, 'dev/stack/src/main.ts'))) out.stack = 'dev/stack/src/main.ts';
  return out;
}

/** The bundle of an entry, e.g. distFile('identity') → <root>/build/dist/identity.mjs. */
export function distFile(name, root = ROOT) {
  return join(root, OUT, `${name}.mjs`);
}

/**
 * Files whose change must rebuild everything although esbuild does not list them as inputs:
 * this script, the TypeScript config, every package.json (exports maps steer resolution) and the
 * install (a nested copy of a package may appear or go).
 */
function buildConfigFiles(root) {
  const files = ['scripts/build-dist.mjs', 'tsconfig.json', 'package.json', 'node_modules/.package-lock.json'];
  for (const group of ['libs', 'services', 'dev']) {
    if (!existsSync(join(root, group))) continue;
    for (const name of readdirSync(join(root, group))) files.push(`${group}/${name}/package.json`);
  }
  files.push('web/package.json');
  return files.filter((file) => existsSync(join(root, file)));
}

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
};

/** Why build/dist must be rebuilt, or null when it is up to date. */
export function staleReason(root = ROOT) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, OUT, MANIFEST), 'utf8'));
  } catch {
    return 'no build yet';
  }
  if (manifest.format !== FORMAT) return 'the build script changed';
  const wanted = entries(root);
  if (JSON.stringify(manifest.entries) !== JSON.stringify(wanted)) return 'the entry points changed';
  for (const name of Object.keys(wanted)) if (!existsSync(distFile(name, root))) return `${OUT}/${name}.mjs is missing`;
  for (const file of [...manifest.inputs, ...buildConfigFiles(root)]) {
    const changed = mtime(join(root, file));
    if (changed === undefined) return `${file} is gone`;
    // Compared with the build's start: a file saved while esbuild ran counts as newer.
    if (changed > manifest.startedAt) return `${file} changed`;
  }
  return null;
}

/** Bare imports of npm packages stay imports; @flix/* (the workspaces) are bundled. */
function externalPackages(root, outdir) {
  const packageName = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
  /** The folder Node finds `name` in from `dir` (node_modules lookup up the tree). */
  const packageDir = (dir, name) => {
    for (let at = dir; ; at = dirname(at)) {
      const candidate = join(at, 'node_modules', name);
      if (existsSync(candidate)) return candidate;
      if (dirname(at) === at) return undefined;
    }
  };
  return {
    name: 'flix-external-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData?.nested || args.path.startsWith('@flix/')) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const name = packageName(args.path);
        const fromSource = packageDir(args.resolveDir, name);
        if (!fromSource || fromSource === packageDir(outdir, name)) return { path: args.path, external: true };
        const found = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { nested: true } });
        if (found.errors.length > 0) return { errors: found.errors };
        const path = relative(outdir, found.path).split(sep).join('/');
        return { path: path.startsWith('.') ? path : `./${path}`, external: true };
      });
    },
  };
}

/**
 * The npm package an external import of a bundle loads: its name, or for a workspace's own copy
 * its folder as package-lock.json names it (e.g. libs/grpc/node_modules/@grpc/proto-loader).
 */
function externalPackage(path, root, outdir) {
  const name = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
  if (!path.startsWith('.')) return name(path);
  const file = relative(root, resolve(outdir, path)).split(sep).join('/');
  const at = file.lastIndexOf('node_modules/') + 'node_modules/'.length;
  return file.slice(0, at) + name(file.slice(at));
}

/**
 * Bundles every entry into build/dist (or `outdir`) and writes its manifest.json: the entries,
 * every input file, and each bundle's npm packages (`externals`). Returns the manifest.
 */
export async function buildDist(root = ROOT, { outdir = join(root, OUT) } = {}) {
  const started = Date.now();
  const { build } = await import('esbuild');
  mkdirSync(outdir, { recursive: true });
  // A build that fails half-way must not look up to date.
  rmSync(join(outdir, MANIFEST), { force: true });
  const wanted = entries(root);
  const result = await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(wanted).map(([name, file]) => [name, join(root, file)])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // The sources are next to the bundles (in the image too): stack traces need only the mappings.
    sourcesContent: false,
    // Bundling renames clashing identifiers; class and function names stay as written (errors'
    // names, logs), as they were when tsx ran the sources.
    keepNames: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [externalPackages(root, outdir)],
  });
  const inputs = Object.keys(result.metafile.inputs)
    .filter((file) => !file.includes(':'))
    .sort();
  const externals = {};
  for (const name of Object.keys(wanted)) {
    const output = result.metafile.outputs[relative(root, join(outdir, `${name}.mjs`)).split(sep).join('/')];
    const imports = (output?.imports ?? []).filter((i) => i.external && !isBuiltin(i.path)).map((i) => externalPackage(i.path, root, outdir));
    externals[name] = [...new Set(imports)].sort();
  }
  const manifest = { format: FORMAT, startedAt: started, finishedAt: Date.now(), entries: wanted, externals, inputs };
  writeFileSync(join(outdir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Rebuilds when stale; returns what happened, for a log line. */
export async function ensureDist(root = ROOT) {
  const reason = staleReason(root);
  if (reason === null) return { built: false };
  const manifest = await buildDist(root);
  return { built: true, reason, ms: manifest.finishedAt - manifest.startedAt };
}

async function cli(args) {
  if (args.includes('--list')) {
    for (const [name, file] of Object.entries(entries())) console.log(`${OUT}/${name}.mjs  ←  ${file}`);
    return;
  }
  if (args[0] === '--externals') {
    const manifest = JSON.parse(readFileSync(join(ROOT, OUT, MANIFEST), 'utf8'));
    const list = manifest.externals?.[args[1]];
    if (!list) throw new Error(`no entry named ${args[1]} in ${OUT}/${MANIFEST}: build first`);
    for (const name of list) console.log(name);
    return;
  }
  if (args.includes('--if-stale')) {
    const outcome = await ensureDist();
    if (outcome.built) console.error(`build-dist: built ${OUT} in ${outcome.ms} ms (${outcome.reason})`);
    return;
  }
  const at = args.indexOf('--outdir');
  const outdir = at >= 0 && args[at + 1] ? resolve(args[at + 1]) : join(ROOT, OUT);
  const manifest = await buildDist(ROOT, { outdir });
  console.error(`build-dist: built ${relative(ROOT, outdir)} in ${manifest.finishedAt - manifest.startedAt} ms`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  cli(process.argv.slice(2)).catch((err) => {
    // esbuild has printed the errors themselves.
    console.error(`build-dist: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    process.exit(1);
  });
}
