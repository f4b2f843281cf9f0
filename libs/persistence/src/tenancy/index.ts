export * from './tenant-context';
export * from './tenant-db';
export * from './tenant-login';
