/** The CLI `make run` starts: listens, announces its URL on stdout, serves the SDK, stops on SIGTERM. */
import Mux from '@mux/mux-node';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startWebhookReceiver } from '@flix/testkit';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

describe('cli', () => {
  it('runs the emulator as a process with secrets from the environment', async () => {
    const receiver = await startWebhookReceiver();
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--webhook-url', receiver.url], {
      env: { ...process.env, MUX_WEBHOOK_SECRET: 'whsec-cli', MUX_TOKEN_ID: 'cli-id', MUX_TOKEN_SECRET: 'cli-secret' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const { url } = JSON.parse(line) as { url: string; port: number };
      expect((await fetch(`${url}/_emulator/health`)).status).toBe(200);

      const mux = new Mux({ tokenId: 'cli-id', tokenSecret: 'cli-secret', webhookSecret: 'whsec-cli', baseURL: url });
      const upload = await mux.video.uploads.create({ cors_origin: '*', new_asset_settings: { playback_policies: ['signed'], passthrough: 'm' } });
      expect((await fetch(upload.url!, { method: 'PUT', body: 'x' })).status).toBe(200);
      const ready = await receiver.waitFor((w) => w.type === 'video.asset.ready');
      await expect(mux.webhooks.unwrap(ready.body, ready.headers as Record<string, string>)).resolves.toMatchObject({ data: { passthrough: 'm' } });

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('refuses to start without a webhook secret, naming the flag', async () => {
    const env = { ...process.env };
    delete env.MUX_WEBHOOK_SECRET;
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain('--webhook-secret');
  });
});
