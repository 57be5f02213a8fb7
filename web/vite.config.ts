import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/** Writes .br and .gz beside every text asset, so the web server never compresses at request time. */
function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'flix-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      // Also called after a failed build: leave the real error on screen.
      if (!existsSync(outDir)) return;
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json|txt|map)$/.test(file)) continue;
        const body = readFileSync(file);
        if (body.length < 512) continue;
        writeFileSync(`${file}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
      }
    },
  };
}

// The API lives on the same origin (the gateway); `npm run dev -w @flix/web` proxies it to a
// running `make run` so the dev server behaves the same.
const gateway = process.env.FLIX_GATEWAY_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), precompress()],
  build: {
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
    // hls.js (~180 kB gzip) is its own chunk, loaded only by the player.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: Object.fromEntries(['/v1', '/oauth', '/.well-known', '/healthz'].map((p) => [p, { target: gateway, changeOrigin: false }])),
  },
});
