import { Inject, Injectable, Logger } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { activeFailpoint, failpoint } from '../../../../libs/config/src/test-failpoint';
import type { PlannedReferenceModel } from '../../../../libs/engine/src/audit/distributed-reference-models';
import { createMembershipAttack, isImplementedAttack } from '../../../../libs/engine/src/membership/attack-registry';
import { EngineError, EngineErrorCode, isEngineError } from '../../../../libs/engine/src/errors';
import { DEFAULT_REFERENCE_MODELS, DEFAULT_SEED } from '../../../../libs/engine/src/audit/run-audit';
import { assertLabelsSuffice } from '../../../../libs/engine/src/audit/prepare-audit';
import {
  answersLabelsOnly,
  assertPolicyFitsModel,
  formatOutputPolicy,
  parseOutputPolicy,
} from '../../../../libs/engine/src/targets/output-policy';
import type { AttackId } from '../../../../libs/engine/src/types';
import { type AuditOptionFields, auditRequestFiles } from '../../../../libs/persistence/src/audit-request-files';
import { BlobStore } from '../../../../libs/persistence/src/blob-store/blob-store';
import { DataVault } from '../../../../libs/persistence/src/encryption/data-vault';
import {
  AuditArtifactRecord,
  AuditAttackOptions,
  AuditEstimate,
  AuditRecord,
  AuditStatus,
  AuditTrigger,
  DatasetRecord,
  DatasetRole,
  FindingRecord,
  ModelVersionRecord,
  ReferenceActivation,
  DuplicatePolicy,
  ReferenceTraining,
} from '../../../../libs/persistence/src/records';
import {
  ActiveAuditExistsError,
  AuditRepository,
  type NewAudit,
} from '../../../../libs/persistence/src/repositories/audit.repository';
import { TenantDb } from '../../../../libs/persistence/src/tenancy/tenant-db';
import { monthStartUtc, TenantService } from '../tenants/tenant.service';
import { PseudonymKeyService } from '../tenants/pseudonym-key.service';
import { ReferenceModelRepository } from '../../../../libs/persistence/src/repositories/reference-model.repository';
import { redactedRemoteTargetOf } from '../../../../libs/persistence/src/secrets/endpoint-target';
import { attackRequestOptions } from '../../../../libs/persistence/src/audit-attack-options';
import { AuditQueue, ReferenceModelJob } from '../../../../libs/queue/src/audit-queue';
import type { AuditReport } from '../../../../libs/engine/src/types';
import { DatasetCatalogService, featureColumnsOf } from '../datasets/dataset-catalog.service';
import { EngineCheckPool } from '../engine-checks/engine-check-pool';
import { AuditEndpointCheck } from './audit-endpoint-check';
import { AuditPreprocessingCheck } from './audit-preprocessing-check';
import { foundOrNotFound, ServiceError, ServiceErrorCode } from '../http/service-error';
import { ModelRegistryService } from '../models/model-registry.service';

export interface AuditCommission {
  readonly modelVersionId: string;
  readonly membersDatasetId: string;
  readonly nonMembersDatasetId: string;
  readonly populationDatasetId?: string;
  readonly attacks?: AttackId[];
  readonly seed?: number;
  readonly referenceModels?: number;
  /** A sensitive column of every dataset (not a feature): findings are sliced by its values. */
  readonly groupColumn?: string;
  /** How reference models are trained (epochs, learning rate, batch size, L2): part of their cache keys. */
  readonly referenceTraining?: ReferenceTraining;
  /** Class names of string labels, in the model's output order. */
  readonly classes?: string[];
  /** What the audited API is taken to answer: 'labels', 'top-k:<k>' or 'round:<d>'. */
  readonly outputPolicy?: string;
  /** Reference-model hidden layer widths and activation: part of their cache keys. */
  readonly referenceHidden?: number[];
  readonly referenceActivation?: ReferenceActivation;
  /** Identical records under different ids: 'exclude' (default) or 'keep'. */
  readonly duplicates?: DuplicatePolicy;
  /** The target's training-set size when the members are only part of it. */
  readonly targetTrainSize?: number;
  /** What commissions it (default 'manual': POST /audits); re-audits come from the model's plan. */
  readonly trigger?: AuditTrigger;
  /** The plan's release gate, recorded on the audit. */
  readonly maxRise?: number | null;
  /** The plan's budget for reference-model training, applied with MAX_REFERENCE_SECONDS (the smaller wins). */
  readonly maxReferenceSeconds?: number | null;
  /**
   * Endpoint versions: the hard query budget (default DEFAULT_QUERY_BUDGET, at most MAX_QUERY_BUDGET). A model file
   * with extraction attacks: the queries each extraction run may send (the CLI's --query-budget for a file).
   */
  readonly queryBudget?: number;
  /** Options of the extraction and inversion attacks (the CLI's --query-price, --extraction-what-if, ...). */
  readonly queryPrice?: number;
  readonly extractionWhatIf?: boolean;
  readonly knockoffStrategy?: 'random' | 'adaptive';
  readonly sensitiveColumn?: string;
  readonly inversionQueries?: number;
  /** Pseudonymise row ids under the tenant's key; undefined = the tenant's default (PseudonymKeyService). */
  readonly pseudonymizeIds?: boolean;
}

/** The engine's AuditRequest option names, as POST /audits names them (details.field of a 422). */
const API_FIELD_OF_ENGINE_OPTION: Readonly<Record<string, string>> = {
  'outbound.queryBudget': 'queryBudget',
  inversionQueryBudget: 'inversionQueries',
};

/** The extraction and inversion options given, or null when none is. */
function attackOptionsOf(c: AuditCommission): AuditAttackOptions | null {
  const options: AuditAttackOptions = {
    ...(c.queryPrice !== undefined ? { queryPrice: c.queryPrice } : {}),
    ...(c.extractionWhatIf !== undefined ? { extractionWhatIf: c.extractionWhatIf } : {}),
    ...(c.knockoffStrategy !== undefined ? { knockoffStrategy: c.knockoffStrategy } : {}),
    ...(c.sensitiveColumn !== undefined ? { sensitiveColumn: c.sensitiveColumn } : {}),
    ...(c.inversionQueries !== undefined ? { inversionQueries: c.inversionQueries } : {}),
    ...(c.pseudonymizeIds === true ? { pseudonymizeIds: true } : {}),
  };
  return Object.keys(options).length > 0 ? options : null;
}

/** What an audit's reference models cost, decided before anything is queued. */
interface ReferencePlan {
  readonly estimate: AuditEstimate;
  readonly keys: string[];
  /** One job per model not yet stored. */
  readonly jobs: ReferenceModelJob[];
}

const NO_REFERENCE_MODELS: ReferencePlan = {
  estimate: { modelsTotal: 0, modelsToTrain: 0, modelsCached: 0, estimatedSeconds: 0 },
  keys: [],
  jobs: [],
};

@Injectable()
export class AuditCommissionService {
  private readonly logger = new Logger(AuditCommissionService.name);

  constructor(
    @Inject(AuditRepository) private readonly audits: AuditRepository,
    @Inject(AuditQueue) private readonly queue: AuditQueue,
    @Inject(ModelRegistryService) private readonly models: ModelRegistryService,
    @Inject(DatasetCatalogService) private readonly datasets: DatasetCatalogService,
    @Inject(ReferenceModelRepository) private readonly referenceModels: ReferenceModelRepository,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(DataVault) private readonly vault: DataVault,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(AuditPreprocessingCheck) private readonly preprocessing: AuditPreprocessingCheck,
    @Inject(AuditEndpointCheck) private readonly endpointChecks: AuditEndpointCheck,
    @Inject(EngineCheckPool) private readonly checks: EngineCheckPool,
    @Inject(TenantService) private readonly tenants: TenantService,
    @Inject(TenantDb) private readonly db: TenantDb,
    @Inject(PseudonymKeyService) private readonly pseudonymKeys: PseudonymKeyService,
  ) {
    // Read at boot: an unknown failpoint, or one set in production, stops the api before it serves.
    activeFailpoint();
  }

  /**
   * Inserts the audit if the tenant's monthly quotas hold it, in one transaction holding the tenant's quota lock:
   * two concurrent commissions cannot both pass on the same remaining quota.
   */
  private createWithinQuota(input: NewAudit): Promise<AuditRecord> {
    return this.db.run(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('privaudit:quota:' || current_tenant_id()::text))`);
      const quotas = await this.tenants.quotas();
      const used = await this.audits.tenantUsageSince(monthStartUtc());
      const seconds = input.estimate?.estimatedSeconds ?? 0;
      if (seconds > 0 && used.referenceSeconds + seconds > quotas.referenceSecondsPerMonth) {
        throw new ServiceError(
          ServiceErrorCode.TenantQuotaExceeded,
          `the tenant's quota of ${quotas.referenceSecondsPerMonth} s of reference-model training this month would be exceeded: ${Math.ceil(used.referenceSeconds)} s used, this audit is estimated at ${Math.ceil(seconds)} s`,
          {
            quota: 'referenceSecondsPerMonth',
            limit: quotas.referenceSecondsPerMonth,
            used: used.referenceSeconds,
            requested: seconds,
          },
        );
      }
      const queries = input.queryBudget ?? 0;
      if (queries > 0 && used.queries + queries > quotas.queriesPerMonth) {
        throw new ServiceError(
          ServiceErrorCode.TenantQuotaExceeded,
          `the tenant's quota of ${quotas.queriesPerMonth} endpoint queries this month would be exceeded: ${used.queries} used or reserved, this audit's budget is ${queries}`,
          { quota: 'queriesPerMonth', limit: quotas.queriesPerMonth, used: used.queries, requested: queries },
        );
      }
      return this.audits.createQueued(input);
    });
  }

  /**
   * Checks everything that can be checked without running the model (roles, columns, feature count,
   * population for reference-model attacks), then inserts the queued audit and enqueues its job.
   */
  async commission(request: AuditCommission): Promise<AuditRecord> {
    // The request's pseudonymizeIds, else the tenant's default; refused (422) when it asks for a key there is not.
    const c: AuditCommission = {
      ...request,
      pseudonymizeIds: await this.pseudonymKeys.resolveForAudit(request.pseudonymizeIds),
    };
    const version = await this.models.getVersion(c.modelVersionId);
    // Extraction and inversion attacks are checked by the engine's prepareAudit below (options, sensitive column,
    // population, planned queries against the budget); the membership checks here read the membership ids only.
    const membershipAttacks = c.attacks?.filter((id) => isImplementedAttack(id));
    const otherAttacks: string[] = (c.attacks ?? []).filter((id) => !isImplementedAttack(id));
    const queryBudget = await this.endpointChecks.queryBudgetOf(
      version,
      c.queryBudget,
      otherAttacks.some((id) => id.startsWith('extraction.')),
    );
    const members = await this.datasetWithRole(c.membersDatasetId, DatasetRole.Members, 'membersDatasetId');
    const nonMembers = await this.datasetWithRole(c.nonMembersDatasetId, DatasetRole.NonMembers, 'nonMembersDatasetId');
    const population = c.populationDatasetId
      ? await this.datasetWithRole(c.populationDatasetId, DatasetRole.Population, 'populationDatasetId')
      : undefined;
    const all = [members, nonMembers, ...(population ? [population] : [])];
    // A version with a preprocessing spec takes raw tables; its classes apply when the audit names none.
    const classes = this.preprocessing.classesOf(version, c.classes);

    for (const d of all) {
      if (d.labelColumn !== members.labelColumn || d.idColumn !== members.idColumn) {
        throw new ServiceError(
          ServiceErrorCode.DatasetColumnsMismatch,
          `dataset '${d.name}' declares label/id columns (${d.labelColumn}/${d.idColumn ?? 'none'}) that differ from the members dataset (${members.labelColumn}/${members.idColumn ?? 'none'})`,
        );
      }
      if (c.groupColumn !== undefined && !d.columns.some((col) => col.name === c.groupColumn)) {
        throw new ServiceError(
          ServiceErrorCode.DatasetColumnsMismatch,
          `group column '${c.groupColumn}' is not a column of dataset '${d.name}'`,
        );
      }
      if (c.groupColumn !== undefined && (c.groupColumn === d.labelColumn || c.groupColumn === d.idColumn)) {
        throw new ServiceError(
          ServiceErrorCode.DatasetColumnsMismatch,
          `group column '${c.groupColumn}' is the label or id column of dataset '${d.name}'`,
        );
      }
      const label = d.columns.find((col) => col.name === d.labelColumn);
      if (label?.type === 'string' && classes === undefined) {
        throw new EngineError(
          EngineErrorCode.CsvNotNumeric,
          `dataset '${d.name}': label column '${d.labelColumn}' holds class names, not class indices; pass \`classes\`, the class names in the model's output order`,
          { file: d.name, column: d.labelColumn },
        );
      }
      if (version.preprocessing) {
        this.preprocessing.assertColumns(version, d);
        continue;
      }
      this.preprocessing.assertNumeric(version, d, c.groupColumn);
      // The group column is declared sensitive data, not a model input.
      const features = featureColumnsOf(d).filter((name) => name !== c.groupColumn);
      if (features.length !== version.signature.nFeatures) {
        throw new EngineError(
          EngineErrorCode.ModelShapeMismatch,
          `model expects ${version.signature.nFeatures} features, dataset '${d.name}' has ${features.length} feature columns${
            features.length < version.signature.nFeatures
              ? `; if it is a raw table (string categories, missing values), set the model version's preprocessing spec (PUT /model-versions/${version.id}/preprocessing, docs/preprocessing.md)`
              : ''
          }`,
          { file: d.name },
        );
      }
    }
    if (c.classes !== undefined && c.classes.length !== version.signature.numClasses) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `${c.classes.length} class names given but the model has ${version.signature.numClasses} classes`,
      );
    }
    const policy = c.outputPolicy !== undefined ? parseOutputPolicy(c.outputPolicy) : undefined;
    if (policy) assertPolicyFitsModel(policy, version.signature.numClasses);
    const labelsOnly = answersLabelsOnly(version.signature, policy);
    const attacks = c.attacks ?? null;
    // prepareAudit refuses these too, but only some audits are prepared here (see needsEngineCheck).
    if (labelsOnly && membershipAttacks)
      assertLabelsSuffice(membershipAttacks.map(createMembershipAttack), version.signature);
    // Named in the API's own field names; the engine's requestedReferenceArchitecture checks the widths.
    if (c.referenceActivation !== undefined && c.referenceHidden === undefined) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        'referenceActivation needs referenceHidden, the hidden layer widths it applies to',
      );
    }
    if (membershipAttacks && !population) {
      const needing = membershipAttacks.filter((id) => createMembershipAttack(id).referenceModels !== 'none');
      if (needing.length > 0) {
        throw new EngineError(
          EngineErrorCode.AttackNeedsPopulation,
          `${needing.join(', ')} train reference models on population data; give populationDatasetId`,
        );
      }
    }

    const seed = c.seed ?? DEFAULT_SEED;
    const referenceModels = c.referenceModels ?? (population ? DEFAULT_REFERENCE_MODELS : null);
    // The audit's options exactly as stored on its row: the worker's jobs map the same fields to the same request.
    const options: AuditOptionFields = {
      attacks,
      seed,
      referenceModels,
      groupColumn: c.groupColumn ?? null,
      referenceTraining: referenceTrainingOf(c),
      classes: c.classes ?? null,
      // Canonical form ('top-k:2', not ' top-k:2'), as the report records it.
      outputPolicy: policy ? formatOutputPolicy(policy) : null,
      referenceHidden: c.referenceHidden ?? null,
      referenceActivation: c.referenceActivation ?? null,
      duplicates: c.duplicates ?? null,
      targetTrainSize: c.targetTrainSize ?? null,
    };
    const references = await this.planAudit(
      options,
      version,
      { members, nonMembers, population },
      queryBudget,
      attackOptionsOf(c),
    );
    // Last of the checks: it resolves the endpoint's host again (the allow-list or its DNS may have changed).
    if (version.kind === 'endpoint') await this.endpointChecks.assertQueryable(version);
    const budgets = [this.config.MAX_REFERENCE_SECONDS, c.maxReferenceSeconds ?? undefined].filter(
      (b): b is number => b !== undefined,
    );
    const budget = budgets.length > 0 ? Math.min(...budgets) : undefined;
    if (budget !== undefined && references.estimate.estimatedSeconds > budget) {
      const source =
        budget === this.config.MAX_REFERENCE_SECONDS ? 'MAX_REFERENCE_SECONDS' : "the audit plan's maxReferenceSeconds";
      throw new ServiceError(
        ServiceErrorCode.BudgetExceeded,
        `training ${references.estimate.modelsToTrain} reference models is estimated at ${Math.ceil(references.estimate.estimatedSeconds)} s, over the budget of ${budget} s (${source})`,
        { estimate: references.estimate, maxReferenceSeconds: budget },
      );
    }

    let audit: AuditRecord;
    try {
      audit = await this.createWithinQuota({
        modelVersionId: version.id,
        membersDatasetId: members.id,
        nonMembersDatasetId: nonMembers.id,
        populationDatasetId: population?.id ?? null,
        ...options,
        estimate: references.estimate,
        referenceModelKeys: references.keys.length > 0 ? references.keys : null,
        trigger: c.trigger ?? 'manual',
        maxRise: c.maxRise ?? null,
        queryBudget,
        attackOptions: attackOptionsOf(c),
      });
    } catch (e) {
      if (e instanceof ActiveAuditExistsError) {
        throw new ServiceError(
          ServiceErrorCode.AuditAlreadyActive,
          `model version ${version.id} already has a queued or running audit${e.existingAuditId ? ` (${e.existingAuditId})` : ''}`,
          { existingAuditId: e.existingAuditId },
        );
      }
      throw e;
    }
    // Test-only (PRIVAUDIT_FAILPOINT): the api dies between the insert and the enqueue (fault scenario 9).
    failpoint('after-audit-insert');
    try {
      await this.queue.enqueueMembershipAudit(audit.id, references.jobs);
    } catch (e) {
      this.logger.error(`could not enqueue audit ${audit.id}: ${(e as Error).message}`);
      await this.audits.markFailed(audit.id, {
        code: ServiceErrorCode.QueueUnavailable,
        reason: 'the job queue was unavailable when the audit was commissioned',
      });
      throw new ServiceError(ServiceErrorCode.QueueUnavailable, 'the job queue is unavailable; try again later', {
        auditId: audit.id,
      });
    }
    return audit;
  }

  /**
   * The engine's one validate-and-price call (planAudit, the CLI's --dry-run) in a check thread: it inspects the
   * model and reads every dataset as the audit will (a raw table through the version's spec, cell by cell), and
   * lists the reference models the attacks need with their cache keys. Those already stored in Postgres are
   * subtracted from the estimate; one training job is planned for each of the others.
   */
  private async planAudit(
    options: AuditOptionFields,
    version: ModelVersionRecord,
    datasets: { members: DatasetRecord; nonMembers: DatasetRecord; population: DatasetRecord | undefined },
    queryBudget: number | null,
    attackOptions: AuditAttackOptions | null,
  ): Promise<ReferencePlan> {
    // The datasets are sealed at rest: opened into a private temp directory for the plan, removed right after.
    const sealed = [datasets.members, datasets.nonMembers, ...(datasets.population ? [datasets.population] : [])];
    const plan = await this.vault.withPlaintext(sealed, async ([m, n, p]) => {
      const files = auditRequestFiles(
        options,
        version,
        datasets,
        [m as string, n as string, p],
        (sha256) => this.blobs.localPath(sha256),
        this.config.MAX_MODEL_BYTES,
      );
      return this.withApiFieldNames(() =>
        this.checks.run('audit', {
          ...files,
          // The extraction / inversion options, as the worker passes them (audit-child-inputs.ts).
          ...attackRequestOptions(attackOptions),
          // An endpoint is planned from its spec without secrets: planning sends nothing, and the keys hash no secret.
          ...(version.kind === 'endpoint'
            ? {
                remoteTarget: redactedRemoteTargetOf(version),
                outbound: {
                  allowHosts: [...this.config.OUTBOUND_ALLOW_HOSTS],
                  ...(queryBudget !== null ? { queryBudget } : {}),
                },
              }
            : // A model file: each extraction run's budget (the CLI's --query-budget for a model file).
              queryBudget !== null
              ? { queryBudget }
              : {}),
        }),
      );
    });
    const { models, secondsPerModel, k, seed } = plan.referenceModelPlan;
    if (models.length === 0) return NO_REFERENCE_MODELS;
    const stored = await this.referenceModels.storedKeys(models.map((p) => p.key));
    const toTrain = models.filter((p: PlannedReferenceModel) => !stored.has(p.key));
    const estimatedSeconds = toTrain.reduce((s, p) => s + (secondsPerModel[p.mode] ?? 0), 0);
    return {
      estimate: {
        modelsTotal: models.length,
        modelsToTrain: toTrain.length,
        modelsCached: models.length - toTrain.length,
        estimatedSeconds: Math.round(estimatedSeconds * 10) / 10,
      },
      keys: models.map((p) => p.key),
      jobs: toTrain.map((p) => ({ mode: p.mode, m: p.m, k, seed, key: p.key })),
    };
  }

  /** Runs an engine check, naming the option at fault as POST /audits names it (the 422's details.field). */
  private async withApiFieldNames<T>(check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (e) {
      const option = isEngineError(e) ? e.location?.option : undefined;
      if (isEngineError(e) && option !== undefined) {
        throw new EngineError(e.code, e.message, {
          ...e.location,
          option: API_FIELD_OF_ENGINE_OPTION[option] ?? option,
        });
      }
      throw e;
    }
  }

  /** Reference models of the audit stored so far (per-model progress), or null when it needs none. */
  async referenceModelProgress(audit: AuditRecord): Promise<{ stored: number; total: number } | null> {
    const keys = audit.referenceModelKeys ?? [];
    if (keys.length === 0) return null;
    return { stored: (await this.referenceModels.storedKeys(keys)).size, total: keys.length };
  }

  /** The audit and its reference-model progress (referenceModelProgress), read in one statement: GET /audits/:id. */
  async getWithProgress(
    id: string,
  ): Promise<{ audit: AuditRecord; referenceModels: { stored: number; total: number } | null }> {
    return foundOrNotFound(await this.audits.findWithReferenceProgress(id), `audit ${id}`);
  }

  async get(id: string): Promise<AuditRecord> {
    return foundOrNotFound(await this.audits.findById(id), `audit ${id}`);
  }

  async cancel(id: string): Promise<AuditRecord> {
    await this.get(id);
    const previous = await this.audits.markCancelled(id);
    if (previous === null)
      throw new ServiceError(ServiceErrorCode.AuditNotActive, `audit ${id} is not queued or running`);
    // A running audit is stopped by its worker, which looks at the audit every second while a model process runs,
    // and once when it forks one (apps/worker/src/cancellable-child-run.ts), and kills the process.
    if (previous === AuditStatus.Queued) await this.queue.removeWaiting(id).catch(() => false);
    return this.get(id);
  }

  async findings(id: string): Promise<FindingRecord[]> {
    await this.get(id);
    return this.audits.listFindings(id);
  }

  async report(id: string): Promise<AuditReport> {
    const audit = await this.get(id);
    const report = audit.status === AuditStatus.Succeeded ? await this.audits.findReport(id) : null;
    if (!report)
      throw new ServiceError(ServiceErrorCode.AuditNotFinished, `audit ${id} has no report (status ${audit.status})`, {
        status: audit.status,
      });
    return report;
  }

  /** The audit's files (none until it has succeeded). */
  async artifacts(id: string): Promise<AuditArtifactRecord[]> {
    await this.get(id);
    return this.audits.listArtifacts(id);
  }

  /** One file of the audit and a stream of its bytes from the blob store; 404 for a name the audit has not. */
  async openArtifact(id: string, name: string): Promise<{ artifact: AuditArtifactRecord; stream: Readable }> {
    await this.get(id);
    const artifact = foundOrNotFound(await this.audits.findArtifact(id, name), `artefact of audit ${id}`);
    return { artifact, stream: createReadStream(this.blobs.localPath(artifact.sha256)) };
  }

  private async datasetWithRole(id: string, role: DatasetRole, field: string): Promise<DatasetRecord> {
    const dataset = await this.datasets.get(id);
    if (dataset.role !== role) {
      throw new ServiceError(
        ServiceErrorCode.DatasetRoleMismatch,
        `${field} must name a '${role}' dataset; dataset '${dataset.name}' was uploaded as '${dataset.role}'`,
      );
    }
    return dataset;
  }
}

/** The options given, or null when none is (an empty object trains with the defaults too). */
function referenceTrainingOf(c: AuditCommission): ReferenceTraining | null {
  const given = Object.entries(c.referenceTraining ?? {}).filter(([, v]) => v !== undefined);
  return given.length > 0 ? (Object.fromEntries(given) as ReferenceTraining) : null;
}
