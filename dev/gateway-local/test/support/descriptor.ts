/**
 * Compiles the suite's fixture proto with the repository's buf binary into a FileDescriptorSet,
 * in a throwaway workspace that also holds the Google API / RPC protos it imports.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(HERE, '../../../..');
export const FIXTURES = join(HERE, '../fixtures');

const GOOGLE_PROTOS = [
  'google/api/annotations.proto',
  'google/api/http.proto',
  'google/api/httpbody.proto',
  'google/rpc/status.proto',
  'google/rpc/code.proto',
  'google/rpc/error_details.proto',
];

export function buildFixtureDescriptor(): Uint8Array {
  const require = createRequire(import.meta.url);
  const googleProtos = dirname(require.resolve('google-proto-files/package.json'));
  const dir = mkdtempSync(join(tmpdir(), 'gwtest-proto-'));
  try {
    mkdirSync(join(dir, 'proto'), { recursive: true });
    cpSync(join(FIXTURES, 'gwtest.proto'), join(dir, 'proto/gwtest.proto'));
    for (const file of GOOGLE_PROTOS) {
      mkdirSync(dirname(join(dir, 'third_party', file)), { recursive: true });
      cpSync(join(googleProtos, file), join(dir, 'third_party', file));
    }
    writeFileSync(join(dir, 'buf.yaml'), 'version: v2\nmodules:\n  - path: proto\n  - path: third_party\n');
    const out = join(dir, 'gwtest.binpb');
    execFileSync(join(REPO_ROOT, 'node_modules/.bin/buf'), ['build', '--as-file-descriptor-set', '--exclude-source-info', '-o', out], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
