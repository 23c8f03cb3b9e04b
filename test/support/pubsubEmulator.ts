// The launcher lives with the development tools so `npm start` can use it.
export * from '../../src/devtools/pubsubEmulator.js';
