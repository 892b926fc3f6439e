export * from './kernel';
export * from './completion';
