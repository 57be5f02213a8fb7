/**
 * A throwaway web/dist for tests, shaped like `vite build`'s (with the precompress plugin):
 * index.html, hashed assets, a lazily loaded chunk, a public file, and `.br` / `.gz` siblings.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';

export interface FixtureDist {
  dir: string;
  indexHtml: string;
  entryJs: { path: string; body: string };
  css: { path: string; body: string };
  /** A lazily loaded chunk small enough to have no compressed siblings. */
  lazyJs: { path: string; body: string };
  remove(): void;
}

export interface FixtureOptions {
  /** Replaces the entry chunk's code (browser tests put a real script there). */
  entryJs?: string;
}

export function createFixtureDist(options: FixtureOptions = {}): FixtureDist {
  const dir = mkdtempSync(join(tmpdir(), 'flix-web-dist-'));
  mkdirSync(join(dir, 'assets'));
  const entry = { path: '/assets/index-B1a2c3.js', body: options.entryJs ?? `console.log("flix");\n${'// padding\n'.repeat(80)}` };
  const css = { path: '/assets/index-D4e5f6.css', body: `body{margin:0;background:#0b0b0f;color:#fff}\n${'.x{color:red}\n'.repeat(60)}` };
  const lazy = { path: '/assets/player-Z9y8x7.js', body: 'export const player = 1;\n' };
  const indexHtml = [
    '<!doctype html>',
    '<html lang="en">',
    '  <head>',
    '    <meta charset="UTF-8" />',
    '    <title>Flix</title>',
    '    <link rel="icon" href="/favicon.svg" type="image/svg+xml" />',
    `    <script type="module" crossorigin src="${entry.path}"></script>`,
    `    <link rel="stylesheet" crossorigin href="${css.path}">`,
    '  </head>',
    '  <body>',
    '    <div id="root"></div>',
    `    ${'<!-- padding so the page gets compressed siblings, as Vite\'s would -->\n    '.repeat(12)}`,
    '  </body>',
    '</html>',
    '',
  ].join('\n');
  const write = (path: string, body: string, compressed: boolean) => {
    const file = join(dir, path);
    writeFileSync(file, body);
    if (!compressed) return;
    writeFileSync(`${file}.br`, brotliCompressSync(Buffer.from(body)));
    writeFileSync(`${file}.gz`, gzipSync(Buffer.from(body)));
  };
  write('/index.html', indexHtml, true);
  write(entry.path, entry.body, true);
  write(css.path, css.body, true);
  write(lazy.path, lazy.body, false);
  write('/favicon.svg', '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>', false);
  return { dir, indexHtml, entryJs: entry, css, lazyJs: lazy, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
