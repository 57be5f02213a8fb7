/** runEmulatorCli, through a tiny emulator run as a process the way dev/stack runs the real ones. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCliToExit, startCliProcess } from '../src/testing.js';

const cli = fileURLToPath(new URL('./fixtures/greeter-cli.ts', import.meta.url));

describe('runEmulatorCli', () => {
  it('announces its URL, hands the flags to start, and closes on SIGTERM', async () => {
    const child = await startCliProcess(cli, ['--port', '0', '--greeting', 'hi', '--data-dir', '/tmp/greeter']);
    try {
      expect(child.url).toBe(`http://127.0.0.1:${child.port}`);
      expect(await (await fetch(child.url)).json()).toEqual({ greeting: 'hi', dataDir: '/tmp/greeter' });
      expect(await child.stop()).toBe(0);
      expect(JSON.parse(child.stderr().trim().split('\n').at(-1)!)).toMatchObject({ level: 'info', name: 'greeter', signal: 'SIGTERM', msg: 'greeter: shutting down' });
    } finally {
      child.kill();
    }
  });

  it.each([
    [['--port', '0'], '--greeting is required'],
    [['--port', '70000', '--greeting', 'hi'], '--port must be an integer in 0..65535, got "70000"'],
    [['--greeting', 'hi', '--colour', 'red'], "Unknown option '--colour'"],
  ])('exits 2 naming what is wrong: %j', async (args, message) => {
    const { code, stderr } = await runCliToExit(cli, args);
    expect(code).toBe(2);
    expect(stderr).toBe(`greeter: ${message}\n`);
  });
});
