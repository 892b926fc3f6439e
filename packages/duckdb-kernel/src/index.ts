export * from './kernel';
export * from './completion';
export * from './error-content';
