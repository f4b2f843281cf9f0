import { InitialSchema1764050000000 } from './1764050000000-initial-schema';
import { ReferenceModels1764060000000 } from './1764060000000-reference-models';
import { AuditReferenceTrainingAndClasses1764070000000 } from './1764070000000-audit-reference-training-and-classes';
import { AuditOutputPolicyAndReferenceArchitecture1764080000000 } from './1764080000000-audit-output-policy-and-reference-architecture';
import { ModelVersionPreprocessing1764096000000 } from './1764096000000-model-version-preprocessing';
import { AuditDuplicatesAndTargetTrainSize1764110000000 } from './1764110000000-audit-duplicates-and-target-train-size';
import { ModelVersionClasses1764120000000 } from './1764120000000-model-version-classes';
import { ApiKeyLifecycle1764121000000 } from './1764121000000-api-key-lifecycle';
import { AccessLog1764122000000 } from './1764122000000-access-log';
import { AuditReportSha2561764130000000 } from './1764130000000-audit-report-sha256';
import { EndpointVersionsAndQueryBudget1764135000000 } from './1764135000000-endpoint-versions-and-query-budget';
import { AuditPlansAndHistory1764140000000 } from './1764140000000-audit-plans-and-history';
import { WebhookDeliveries1764150000000 } from './1764150000000-webhook-deliveries';
import { AuditAttackOptionsAndArtifacts1764160000000 } from './1764160000000-audit-attack-options-and-artifacts';
import { Notifications1764170000000 } from './1764170000000-notifications';
import { AuditDeadline1764180000000 } from './1764180000000-audit-deadline';
import { ReferenceModelClaims1764181000000 } from './1764181000000-reference-model-claims';
import { Tenants1764190000000 } from './1764190000000-tenants';
import { DataKeysAndDeletionReceipts1764195000000 } from './1764195000000-data-keys-and-deletion-receipts';
import { ApiKeyChangeNotify1764200000000 } from './1764200000000-api-key-change-notify';
import { TenantRetention1764201000000 } from './1764201000000-tenant-retention';
import { TenantPseudonymKeys1764202000000 } from './1764202000000-tenant-pseudonym-keys';
import { InstallationAdminGuard1764203000000 } from './1764203000000-installation-admin-guard';

/** Migrations in order. Listed as classes (not a glob) so they load the same from ts (tests) and dist. */
export const ALL_MIGRATIONS = [
  InitialSchema1764050000000,
  ReferenceModels1764060000000,
  AuditReferenceTrainingAndClasses1764070000000,
  AuditOutputPolicyAndReferenceArchitecture1764080000000,
  ModelVersionPreprocessing1764096000000,
  AuditDuplicatesAndTargetTrainSize1764110000000,
  ModelVersionClasses1764120000000,
  ApiKeyLifecycle1764121000000,
  AccessLog1764122000000,
  AuditReportSha2561764130000000,
  EndpointVersionsAndQueryBudget1764135000000,
  AuditPlansAndHistory1764140000000,
  WebhookDeliveries1764150000000,
  AuditAttackOptionsAndArtifacts1764160000000,
  Notifications1764170000000,
  AuditDeadline1764180000000,
  ReferenceModelClaims1764181000000,
  Tenants1764190000000,
  DataKeysAndDeletionReceipts1764195000000,
  ApiKeyChangeNotify1764200000000,
  TenantRetention1764201000000,
  TenantPseudonymKeys1764202000000,
  InstallationAdminGuard1764203000000,
];
