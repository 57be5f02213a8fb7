/** The CLI `make run` starts: listens, announces its URL, checks tokens against the emulator it is pointed at, stops on SIGTERM. */
import Mux from '@mux/mux-node';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startMuxEmulator } from '@flix/mux-emulator';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

describe('cli', () => {
  it('serves the stream for tokens signed with the emulator keys, from FLIX_MUX_EMULATOR_URL', async () => {
    const emulator = await startMuxEmulator({ webhookSecret: 'whsec-cli' });
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0'], {
      env: { ...process.env, FLIX_MUX_EMULATOR_URL: emulator.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const { url } = JSON.parse(line) as { url: string; port: number };
      expect((await fetch(`${url}/_origin/health`)).status).toBe(200);

      const mux = new Mux({ tokenId: 'x', tokenSecret: 'y', baseURL: emulator.url });
      const key = await mux.system.signingKeys.create();
      const token = await mux.jwt.signPlaybackId('cliPlaybackId', { keyId: key.id, keySecret: key.private_key!, expiration: '10m' });
      expect((await fetch(`${url}/cliPlaybackId.m3u8?token=${token}`)).status).toBe(200);
      expect((await fetch(`${url}/otherPlaybackId.m3u8?token=${token}`)).status).toBe(403);
      // Logs say what was refused, never the token (the log line may land just after the answer).
      await expect.poll(() => stderr).toContain('wrong_playback_id');
      expect(stderr).not.toContain(token.split('.')[2]);

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await emulator.close();
    }
  });

  it('refuses to start without the Mux emulator URL, naming the flag', async () => {
    const env = { ...process.env };
    delete env.FLIX_MUX_EMULATOR_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain('--mux-emulator-url');
  });
});
