import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const buf = join(root, 'node_modules/.bin/buf');

describe('protobuf contracts', () => {
  it('pass buf lint', () => {
    // execFileSync throws with buf's findings on stderr when lint fails.
    expect(() => execFileSync(buf, ['lint'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  });

  /**
   * Packages that are no service of their own but a contract every service implements for the
   * others (flix.privacy.v1.PersonalDataService: identity's data export asks each service).
   */
  const INTERNAL_CONTRACTS: Record<string, string[]> = { privacy: ['personal_data.proto'] };

  it('are versioned packages flix.<svc>.v1 made of the standard files only', () => {
    // A service not built yet may already own events others consume (events.proto alone); a
    // service that publishes nothing (recommendations) has no events.proto.
    for (const svc of readdirSync(join(root, 'proto/flix'))) {
      const files = readdirSync(join(root, 'proto/flix', svc, 'v1'));
      if (INTERNAL_CONTRACTS[svc]) {
        expect(files, svc).toEqual(INTERNAL_CONTRACTS[svc]);
        continue;
      }
      expect(files.some((f) => f === 'events.proto' || f === `${svc}_service.proto`), svc).toBe(true);
      for (const f of files) expect(['events.proto', `${svc}_service.proto`, 'resources.proto']).toContain(f);
    }
  });

  it('build a descriptor set with imports and without source info, holding every service', () => {
    const set = fromBinary(FileDescriptorSetSchema, readDescriptorSet());
    const names = set.file.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['google/api/annotations.proto', 'google/api/http.proto', 'google/protobuf/timestamp.proto', 'google/rpc/status.proto']));
    expect(set.file.every((f) => f.sourceCodeInfo === undefined)).toBe(true);
    for (const svc of readdirSync(join(root, 'services'))) {
      const file = set.file.find((f) => f.name === `flix/${svc}/v1/${svc}_service.proto`);
      expect(file?.service.length, svc).toBeGreaterThan(0);
    }
  });
});
