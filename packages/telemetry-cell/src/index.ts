export * from './metadata';
export * from './mime';
export * from './values';
export * from './chart';
export * from './outputs';
