/** The CLI `make run` starts: listens, announces its URL, checks tokens against the emulator it is pointed at, stops on SIGTERM. */
import Mux from '@mux/mux-node';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCliToExit, startCliProcess } from '@flix/emulator-kit/testing';
import { startMuxEmulator } from '@flix/mux-emulator';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

describe('cli', () => {
  it('serves the stream for tokens signed with the emulator keys, from FLIX_MUX_EMULATOR_URL', async () => {
    const emulator = await startMuxEmulator({ webhookSecret: 'whsec-cli' });
    const child = await startCliProcess(cli, ['--port', '0'], { ...process.env, FLIX_MUX_EMULATOR_URL: emulator.url });
    try {
      expect((await fetch(`${child.url}/_origin/health`)).status).toBe(200);

      const mux = new Mux({ tokenId: 'x', tokenSecret: 'y', baseURL: emulator.url });
      const key = await mux.system.signingKeys.create();
      const token = await mux.jwt.signPlaybackId('cliPlaybackId', { keyId: key.id, keySecret: key.private_key!, expiration: '10m' });
      expect((await fetch(`${child.url}/cliPlaybackId.m3u8?token=${token}`)).status).toBe(200);
      expect((await fetch(`${child.url}/otherPlaybackId.m3u8?token=${token}`)).status).toBe(403);
      // Logs say what was refused, never the token (the log line may land just after the answer).
      await expect.poll(() => child.stderr()).toContain('wrong_playback_id');
      expect(child.stderr()).not.toContain(token.split('.')[2]);

      expect(await child.stop()).toBe(0);
    } finally {
      child.kill();
      await emulator.close();
    }
  });

  it('refuses to start without the Mux emulator URL, naming the flag', async () => {
    const env = { ...process.env };
    delete env.FLIX_MUX_EMULATOR_URL;
    const { code, stderr } = await runCliToExit(cli, ['--port', '0'], env);
    expect(code).toBe(2);
    expect(stderr).toContain('--mux-emulator-url');
  });
});
