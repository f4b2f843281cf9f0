export * from './api-key.repository';
export * from './audit.repository';
export * from './audit-plan.repository';
export * from './webhook-delivery.repository';
export * from './dataset.repository';
export * from './model.repository';
export * from './reference-model.repository';
export * from './database-status';
