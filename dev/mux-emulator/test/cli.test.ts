/** The CLI `make run` starts: listens, announces its URL on stdout, serves the SDK, stops on SIGTERM. */
import Mux from '@mux/mux-node';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCliToExit, startCliProcess } from '@flix/emulator-kit/testing';
import { startWebhookReceiver } from '@flix/testkit';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

describe('cli', () => {
  it('runs the emulator as a process with secrets from the environment', async () => {
    const receiver = await startWebhookReceiver();
    const child = await startCliProcess(cli, ['--port', '0', '--webhook-url', receiver.url], {
      ...process.env,
      MUX_WEBHOOK_SECRET: 'whsec-cli',
      MUX_TOKEN_ID: 'cli-id',
      MUX_TOKEN_SECRET: 'cli-secret',
    });
    try {
      expect((await fetch(`${child.url}/_emulator/health`)).status).toBe(200);

      const mux = new Mux({ tokenId: 'cli-id', tokenSecret: 'cli-secret', webhookSecret: 'whsec-cli', baseURL: child.url });
      const upload = await mux.video.uploads.create({ cors_origin: '*', new_asset_settings: { playback_policies: ['signed'], passthrough: 'm' } });
      expect((await fetch(upload.url!, { method: 'PUT', body: 'x' })).status).toBe(200);
      const ready = await receiver.waitFor((w) => w.type === 'video.asset.ready');
      await expect(mux.webhooks.unwrap(ready.body, ready.headers as Record<string, string>)).resolves.toMatchObject({ data: { passthrough: 'm' } });

      expect(await child.stop()).toBe(0);
    } finally {
      child.kill();
      await receiver.close();
    }
  });

  it('refuses to start without a webhook secret, naming the flag', async () => {
    const env = { ...process.env };
    delete env.MUX_WEBHOOK_SECRET;
    const { code, stderr } = await runCliToExit(cli, ['--port', '0'], env);
    expect(code).toBe(2);
    expect(stderr).toContain('--webhook-secret');
  });
});
