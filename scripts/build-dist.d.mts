// Types of scripts/build-dist.mjs, for the TypeScript that loads it (dev/stack, its tests).

/** build/dist/manifest.json. */
export interface DistManifest {
  format: number;
  startedAt: number;
  finishedAt: number;
  /** Entry name → its source, relative to the repo root. */
  entries: Record<string, string>;
  /** Entry name → the npm packages its bundle imports (a workspace's own copy: its folder). */
  externals: Record<string, string[]>;
  /** Every file that went into the bundles, relative to the repo root. */
  inputs: string[];
}

export declare const ROOT: string;
export declare function entries(root?: string): Record<string, string>;
export declare function distFile(name: string, root?: string): string;
export declare function staleReason(root?: string): string | null;
export declare function buildDist(root?: string, options?: { outdir?: string }): Promise<DistManifest>;
export declare function ensureDist(root?: string): Promise<{ built: false } | { built: true; reason: string; ms: number }>;
