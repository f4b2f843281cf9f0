export * from './tenant-context';
export * from './tenant-db';
