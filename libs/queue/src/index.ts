export * from './queue-names';
export * from './job-options';
export * from './redis-connection';
export * from './redis-eviction-policy';
export * from './audit-queue';
export * from './redis-persistence';
export * from './reaudit-scheduler';
export * from './notification-queue';
