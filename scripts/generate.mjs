// Builds everything derived from proto/: copies the few Google API protos we import out of the
// npm package google-proto-files, lints, generates TypeScript with ts-proto (the services' code and
// the web app's JSON types) and writes the
// FileDescriptorSet used by Envoy, the local gateway and gRPC server reflection.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const googleProtos = dirname(require.resolve('google-proto-files/package.json'));
const thirdParty = join(root, 'build/third_party');
const THIRD_PARTY_FILES = [
  'google/api/annotations.proto',
  'google/api/http.proto',
  'google/rpc/status.proto',
  'google/rpc/code.proto',
  'google/rpc/error_details.proto',
];

rmSync(thirdParty, { recursive: true, force: true });
for (const file of THIRD_PARTY_FILES) {
  mkdirSync(dirname(join(thirdParty, file)), { recursive: true });
  cpSync(join(googleProtos, file), join(thirdParty, file));
}

const buf = join(root, 'node_modules/.bin/buf');
const run = (args) => execFileSync(buf, args, { cwd: root, stdio: 'inherit' });
run(['lint']);
rmSync(join(root, 'libs/proto/gen'), { recursive: true, force: true });
run(['generate']);
rmSync(join(root, 'web/src/api/gen'), { recursive: true, force: true });
run(['generate', '--template', 'buf.gen.web.yaml']);
run(['build', '--as-file-descriptor-set', '--exclude-source-info', '-o', 'build/flix.binpb']);
console.log('generated libs/proto/gen, web/src/api/gen and build/flix.binpb');
