import type { DeepPartial } from 'typeorm';
import { TenantDb } from '../tenancy/tenant-db';
import type { ModelSignature } from '../../../engine/src/types';
import { ModelEntity, ModelVersionEntity } from '../entities';
import type { EndpointDescription, ModelRecord, ModelVersionPreprocessing, ModelVersionRecord } from '../records';
import { ModelRepository, PreprocessingAlreadySetError } from '../repositories/model.repository';

export class TypeOrmModelRepository extends ModelRepository {
  constructor(private readonly db: TenantDb) {
    super();
  }

  async createModel(input: { name: string; description: string | null }): Promise<ModelRecord> {
    const repo = this.db.repository(ModelEntity);
    return { ...(await repo.save(repo.create(input))) };
  }

  async findModel(id: string): Promise<ModelRecord | null> {
    const found = await this.db.repository(ModelEntity).findOne({ where: { id } });
    return found ? { ...found } : null;
  }

  async listModels(): Promise<ModelRecord[]> {
    const all = await this.db.repository(ModelEntity).find({ order: { createdAt: 'ASC' } });
    return all.map((m) => ({ ...m }));
  }

  async addVersion(input: {
    modelId: string;
    sha256: string;
    sizeBytes: number;
    signature: ModelSignature;
    numClasses?: number | null;
    classNames?: readonly string[] | null;
  }): Promise<ModelVersionRecord> {
    return this.saveNextVersion(input.modelId, {
      ...input,
      numClasses: input.numClasses ?? null,
      classNames: input.classNames ? [...input.classNames] : null,
      preprocessing: null,
      kind: 'onnx',
      endpoint: null,
      endpointSecrets: null,
      ownershipToken: null,
      ownershipVerifiedAt: null,
    });
  }

  async addEndpointVersion(input: {
    id: string;
    modelId: string;
    sha256: string;
    signature: ModelSignature;
    numClasses: number | null;
    classNames: readonly string[] | null;
    endpoint: EndpointDescription;
    endpointSecrets: string | null;
    ownershipToken: string | null;
  }): Promise<ModelVersionRecord> {
    return this.saveNextVersion(input.modelId, {
      ...input,
      classNames: input.classNames ? [...input.classNames] : null,
      sizeBytes: 0,
      preprocessing: null,
      kind: 'endpoint',
      ownershipVerifiedAt: null,
    });
  }

  /**
   * Saves a version of the model under its next version number. The model row is locked first, so two concurrent
   * uploads get consecutive version numbers, not a unique violation.
   */
  private saveNextVersion(
    modelId: string,
    fields: Omit<DeepPartial<ModelVersionEntity>, 'version'>,
  ): Promise<ModelVersionRecord> {
    return this.db.run(async (em) => {
      await em.query(`SELECT id FROM models WHERE id = $1 FOR UPDATE`, [modelId]);
      const rows: Array<{ next: number }> = await em.query(
        `SELECT COALESCE(MAX(version), 0) + 1 AS next FROM model_versions WHERE model_id = $1`,
        [modelId],
      );
      const repo = em.getRepository(ModelVersionEntity);
      return toVersionRecord(await repo.save(repo.create({ ...fields, version: Number(rows[0].next) })));
    });
  }

  async findEndpointSecrets(versionId: string): Promise<string | null> {
    const rows: Array<{ endpoint_secrets: string | null }> = await this.db.query(
      `SELECT endpoint_secrets FROM model_versions WHERE id = $1`,
      [versionId],
    );
    return rows[0]?.endpoint_secrets ?? null;
  }

  async markOwnershipVerified(versionId: string): Promise<ModelVersionRecord | null> {
    await this.db.query(`UPDATE model_versions SET ownership_verified_at = now() WHERE id = $1`, [versionId]);
    return this.findVersion(versionId);
  }

  async setPreprocessing(
    versionId: string,
    preprocessing: ModelVersionPreprocessing,
  ): Promise<ModelVersionRecord | null> {
    // One conditional UPDATE: two concurrent uploads cannot both set a spec.
    await this.db.query(`UPDATE model_versions SET preprocessing = $2 WHERE id = $1 AND preprocessing IS NULL`, [
      versionId,
      JSON.stringify(preprocessing),
    ]);
    const version = await this.findVersion(versionId);
    if (version?.preprocessing && version.preprocessing.sha256 !== preprocessing.sha256) {
      throw new PreprocessingAlreadySetError(version.preprocessing.sha256);
    }
    return version;
  }

  async tenantOfVersion(id: string): Promise<string | null> {
    const rows: Array<{ tenant_id: string }> = await this.db.installation.query(
      `SELECT tenant_id FROM model_versions WHERE id = $1`,
      [id],
    );
    return rows[0]?.tenant_id ?? null;
  }

  async findVersion(id: string): Promise<ModelVersionRecord | null> {
    const found = await this.db.repository(ModelVersionEntity).findOne({ where: { id } });
    return found ? toVersionRecord(found) : null;
  }

  async listVersions(modelId: string): Promise<ModelVersionRecord[]> {
    // Raw SQL rather than find(): a model can have many versions, and entity hydration was most of this call's CPU.
    // The columns of ModelVersionEntity in its order, as record fields; never endpoint_secrets. One round trip
    // (TenantDb.read).
    return (await this.db.read(
      `SELECT id, model_id AS "modelId", version, sha256, size_bytes::float8 AS "sizeBytes", signature,
         num_classes AS "numClasses", class_names AS "classNames", preprocessing, kind, endpoint,
         ownership_token AS "ownershipToken", ownership_verified_at AS "ownershipVerifiedAt", created_at AS "createdAt"
       FROM model_versions WHERE model_id = $1 ORDER BY version ASC`,
      [modelId],
    )) as ModelVersionRecord[];
  }
}

/** The record, never the ciphertext of an endpoint's secrets (not selected by default, and dropped here too). */
function toVersionRecord(e: ModelVersionEntity): ModelVersionRecord {
  const { endpointSecrets: _secrets, ...rest } = e;
  return { ...rest };
}
