export * from './tables';
export * from './rows';
export * from './arrow';
export * from './keys';
export * from './sha256';
export * from './docs';
