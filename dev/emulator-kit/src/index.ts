export { JsonStateFile } from './json-state.js';
