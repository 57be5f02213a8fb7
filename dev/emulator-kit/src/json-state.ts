import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An emulator's whole state in one JSON file under its data dir (small, rare writes). A write goes
 * to a temporary file renamed over the old one, so a crash never leaves half a file. Without a
 * data dir the emulator is in-memory only and both calls do nothing.
 */
export class JsonStateFile<T extends { version: number }> {
  readonly path: string | undefined;

  constructor(
    private readonly dataDir: string | undefined,
    fileName: string,
    private readonly version: T['version'],
  ) {
    this.path = dataDir ? join(dataDir, fileName) : undefined;
  }

  /** The saved state, or undefined when there is none yet; a state of another version is refused. */
  load(): T | undefined {
    if (!this.path || !existsSync(this.path)) return undefined;
    const state = JSON.parse(readFileSync(this.path, 'utf8')) as T;
    if (state.version !== this.version) throw new Error(`${this.path}: unknown state version ${String(state.version)}`);
    return state;
  }

  save(state: T): void {
    if (!this.path || !this.dataDir) return;
    mkdirSync(this.dataDir, { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, this.path);
  }
}
