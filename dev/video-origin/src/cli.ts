/**
 * Runs the video origin as a process, for `make run`:
 *   tsx dev/video-origin/src/cli.ts --port 8088 --mux-emulator-url http://127.0.0.1:8095
 *     [--data-dir .data] [--host 127.0.0.1] [--key-cache-ms 60000]
 * The Mux emulator URL may come from FLIX_MUX_EMULATOR_URL instead. The test stream is made on
 * first start (a few seconds) into <data-dir>/video-origin and reused. Prints {"url","port"} as
 * one JSON line on stdout once listening; logs go to stderr as JSON lines; SIGINT/SIGTERM stop it.
 */
import { runEmulatorCli } from '@flix/emulator-kit';
import { startVideoOrigin } from './index.js';

await runEmulatorCli({
  name: 'video-origin',
  defaultPort: 8088,
  dataDir: true,
  options: {
    'mux-emulator-url': { type: 'string' },
    'key-cache-ms': { type: 'string' },
  },
  async start({ values, port, host, dataDir, logger, fail, int }) {
    const muxEmulatorUrl =
      values['mux-emulator-url'] ||
      process.env.FLIX_MUX_EMULATOR_URL ||
      fail('--mux-emulator-url (or FLIX_MUX_EMULATOR_URL) is required: the origin checks tokens against its signing keys');
    if (!URL.canParse(muxEmulatorUrl)) fail(`--mux-emulator-url must be a URL, got "${muxEmulatorUrl}"`);
    const started = Date.now();
    const origin = await startVideoOrigin({
      port,
      host,
      signingKeys: { muxEmulatorUrl, cacheMs: int('key-cache-ms', values['key-cache-ms'], 0, 86_400_000) },
      dataDir,
      logger,
    });
    logger.info(
      { url: origin.url, muxEmulatorUrl, streamDir: origin.stream.dir, startMs: Date.now() - started, generationMs: origin.stream.generationMs },
      'video-origin: listening',
    );
    return origin;
  },
});
