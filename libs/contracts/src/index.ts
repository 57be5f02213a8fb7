export * from "./identity.js";
export * from "./catalog.js";
export * from "./engagement.js";
