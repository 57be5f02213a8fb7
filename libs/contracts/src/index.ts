export * from "./identity.js";
export * from "./catalog.js";
export * from "./engagement.js";
export * from "./billing.js";
export * from "./playback.js";
export * from "./analytics.js";
