import { ApiKeyEntity } from './api-key.entity';
import { AuditEntity } from './audit.entity';
import { DatasetEntity } from './dataset.entity';
import { FindingEntity } from './finding.entity';
import { ModelVersionEntity } from './model-version.entity';
import { ModelEntity } from './model.entity';
import { ReferenceModelEntity } from './reference-model.entity';

export {
  ApiKeyEntity,
  AuditEntity,
  DatasetEntity,
  FindingEntity,
  ModelEntity,
  ModelVersionEntity,
  ReferenceModelEntity,
};
export const ALL_ENTITIES = [
  ApiKeyEntity,
  ModelEntity,
  ModelVersionEntity,
  DatasetEntity,
  AuditEntity,
  FindingEntity,
  ReferenceModelEntity,
];
