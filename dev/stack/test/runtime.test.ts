// scripts/build-dist.mjs (the compiled entry points `make run` and the images start) and how the
// stack runs them, on a scratch repository: one workspace library, one service, npm packages.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist, distFile, entries, staleReason } from '../../../scripts/build-dist.mjs';
import { prepareRuntime, repoRoot, stackRuntime } from '../src/runtime.js';

const repo = resolve(import.meta.dirname, '../../..');
let root: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}
/** Sets a file's mtime to now, after the last build began, as an edit would. */
const touch = (path: string) => utimesSync(join(root, path), new Date(), new Date());
const run = (name: string) => execFileSync(process.execPath, [distFile(name, root)], { cwd: tmpdir(), encoding: 'utf8' }).trim();

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'flix-dist-'));
  write('package.json', JSON.stringify({ name: 'scratch', private: true, type: 'module', workspaces: ['libs/*', 'services/*'] }));
  write('libs/greet/package.json', JSON.stringify({ name: '@flix/greet', type: 'module', exports: { '.': './src/index.ts' } }));
  write('libs/greet/src/index.ts', "export const greet = (name: string): string => `hello ${name}`;\n");
  mkdirSync(join(root, 'node_modules/@flix'), { recursive: true });
  symlinkSync('../../libs/greet', join(root, 'node_modules/@flix/greet'));
  // An npm package (CommonJS, as many are): stays an import, loaded from node_modules at run time.
  write('node_modules/shout/package.json', JSON.stringify({ name: 'shout', main: 'index.js' }));
  write('node_modules/shout/index.js', "module.exports = (s) => s.toUpperCase() + ' (hoisted)';\n");
  write(
    'services/hello/src/main.ts',
    "import { greet } from '@flix/greet';\nimport shout from 'shout';\nimport { runWhenMain } from './run.js';\nrunWhenMain(import.meta.url, () => console.log(shout(greet('dist'))));\n",
  );
  // The libs/config check the services make: run only as the process's entry point.
  write(
    'services/hello/src/run.ts',
    "import { resolve } from 'node:path';\nimport { pathToFileURL } from 'node:url';\nexport function runWhenMain(url: string, main: () => void): void {\n  if (process.argv[1] && url === pathToFileURL(resolve(process.argv[1])).href) main();\n}\n",
  );
  // The stack loads the build script from the repo it runs; esbuild comes from the real install.
  mkdirSync(join(root, 'scripts'));
  copyFileSync(join(repo, 'scripts/build-dist.mjs'), join(root, 'scripts/build-dist.mjs'));
  symlinkSync(join(repo, 'node_modules/esbuild'), join(root, 'node_modules/esbuild'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('scripts/build-dist.mjs', () => {
  it('finds every service main.ts as an entry', () => {
    expect(entries(root)).toEqual({ hello: 'services/hello/src/main.ts' });
  });

  it('bundles the workspace code, keeps npm packages as imports, and the bundle runs as its entry point', async () => {
    const manifest = await buildDist(root);
    const bundle = readFileSync(distFile('hello', root), 'utf8');
    expect(bundle).toContain('hello ${name}');
    expect(bundle).toMatch(/from "shout"/);
    expect(manifest.externals.hello).toEqual(['shout']);
    expect(manifest.inputs).toEqual(expect.arrayContaining(['libs/greet/src/index.ts', 'services/hello/src/main.ts', 'services/hello/src/run.ts']));
    expect(run('hello')).toBe('HELLO DIST (hoisted)');
    expect(readFileSync(`${distFile('hello', root)}.map`, 'utf8')).toContain('services/hello/src/main.ts');
  });

  it('is up to date after a build, and stale when an input is edited or removed, an entry appears, or a bundle is missing', async () => {
    await buildDist(root);
    expect(staleReason(root)).toBeNull();
    touch('libs/greet/src/index.ts');
    expect(staleReason(root)).toBe('libs/greet/src/index.ts changed');
    await buildDist(root);
    touch('libs/greet/package.json');
    expect(staleReason(root)).toBe('libs/greet/package.json changed');
    await buildDist(root);
    write('services/other/src/main.ts', 'console.log(1);\n');
    expect(staleReason(root)).toBe('the entry points changed');
    rmSync(join(root, 'services/other'), { recursive: true });
    unlinkSync(distFile('hello', root));
    expect(staleReason(root)).toBe('build/dist/hello.mjs is missing');
    await buildDist(root);
    rmSync(join(root, 'services/hello/src/run.ts'));
    expect(staleReason(root)).toBe('services/hello/src/run.ts is gone');
  });

  it("imports a workspace's own copy of a package by its path, so the bundle loads the copy the sources do", async () => {
    write(
      'services/hello/src/run.ts',
      "import { resolve } from 'node:path';\nimport { pathToFileURL } from 'node:url';\nexport function runWhenMain(url: string, main: () => void): void {\n  if (process.argv[1] && url === pathToFileURL(resolve(process.argv[1])).href) main();\n}\n",
    );
    write('services/hello/node_modules/shout/package.json', JSON.stringify({ name: 'shout', main: 'index.js' }));
    write('services/hello/node_modules/shout/index.js', "module.exports = (s) => s.toUpperCase() + ' (nested)';\n");
    try {
      const manifest = await buildDist(root);
      expect(readFileSync(distFile('hello', root), 'utf8')).toContain('from "../../services/hello/node_modules/shout/index.js"');
      expect(manifest.externals.hello).toEqual(['services/hello/node_modules/shout']);
      expect(run('hello')).toBe('HELLO DIST (nested)');
    } finally {
      rmSync(join(root, 'services/hello/node_modules'), { recursive: true });
    }
  });
});

describe('the stack runtime', () => {
  it('finds the repository root from its source and from its bundle', () => {
    expect(repoRoot(join(repo, 'dev/stack/src/main.ts'))).toBe(repo);
    expect(repoRoot(join(repo, 'build/dist/stack.mjs'))).toBe(repo);
  });

  it('runs the bundles unless FLIX_STACK_RUNTIME=tsx, and refuses anything else', () => {
    expect(stackRuntime({})).toBe('dist');
    expect(stackRuntime({ FLIX_STACK_RUNTIME: 'tsx' })).toBe('tsx');
    expect(() => stackRuntime({ FLIX_STACK_RUNTIME: 'ts-node' })).toThrow(/dist or tsx/);
  });

  it('in dist, rebuilds a stale build first and starts the bundle with source maps', async () => {
    touch('services/hello/src/main.ts');
    const built: string[] = [];
    const args = await prepareRuntime(root, 'dist', (reason) => built.push(reason));
    expect(built).toEqual(['services/hello/src/main.ts changed']);
    expect(args('hello')).toEqual(['--enable-source-maps', distFile('hello', root)]);
    expect(staleReason(root)).toBeNull();
    expect(() => args('nope')).toThrow(/no entry named nope/);
    // Up to date: nothing to do.
    await prepareRuntime(root, 'dist', (reason) => built.push(reason));
    expect(built).toHaveLength(1);
  });

  it('in tsx, starts the TypeScript source through tsx', async () => {
    const args = await prepareRuntime(root, 'tsx', () => {
      throw new Error('tsx builds nothing');
    });
    expect(args('hello')).toEqual(['--import', 'tsx', join(root, 'services/hello/src/main.ts')]);
  });
});
