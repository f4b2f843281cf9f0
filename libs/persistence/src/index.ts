export * from './records';
export * from './repositories';
export * from './blob-store/blob-store';
export * from './blob-store/filesystem-blob-store';
export * from './data-source-options';
export { TypeOrmApiKeyRepository } from './typeorm/typeorm-api-key.repository';
export { TypeOrmAuditRepository } from './typeorm/typeorm-audit.repository';
export { TypeOrmDatasetRepository } from './typeorm/typeorm-dataset.repository';
export { TypeOrmModelRepository } from './typeorm/typeorm-model.repository';
