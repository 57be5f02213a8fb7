import type { Studio } from './context.js';

/** Placeholder until this Studio section's scenario is written. */
export function userDetailScenario(_studio: Studio): void {}
