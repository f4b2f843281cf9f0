import { DataSource } from 'typeorm';
import type { AuditReport, ModelSignature } from '../../libs/engine/src/types';
import { ActiveAuditExistsError, AuditStatus, DatasetRole } from '../../libs/persistence/src';
import { TypeOrmAuditRepository } from '../../libs/persistence/src/typeorm/typeorm-audit.repository';
import { TypeOrmDatasetRepository } from '../../libs/persistence/src/typeorm/typeorm-dataset.repository';
import { TypeOrmModelRepository } from '../../libs/persistence/src/typeorm/typeorm-model.repository';
import { boundToTenant, DEFAULT_TENANT_ID, TenantDb } from '../../libs/persistence/src/tenancy';
import { openTestSchema } from './support/test-infrastructure';

const signature: ModelSignature = {
  inputName: 'x',
  nFeatures: 4,
  numClasses: 3,
  outputName: 'y',
  outputKind: 'probabilities',
  opset: 17,
};

describe('TypeORM repositories against Postgres', () => {
  let dataSource: DataSource;
  let tenantDb: TenantDb;
  let drop: () => Promise<void>;
  let audits: TypeOrmAuditRepository;
  let models: TypeOrmModelRepository;
  let datasets: TypeOrmDatasetRepository;

  beforeAll(async () => {
    ({ dataSource, drop, tenantDb } = await openTestSchema('repos'));
    audits = boundToTenant(new TypeOrmAuditRepository(tenantDb), DEFAULT_TENANT_ID);
    models = boundToTenant(new TypeOrmModelRepository(tenantDb), DEFAULT_TENANT_ID);
    datasets = boundToTenant(new TypeOrmDatasetRepository(tenantDb), DEFAULT_TENANT_ID);
  });
  afterAll(async () => drop());

  async function fixture() {
    const model = await models.createModel({ name: 'credit', description: null });
    const version = await models.addVersion({ modelId: model.id, sha256: 'a'.repeat(64), sizeBytes: 1234, signature });
    const dataset = (role: DatasetRole) =>
      datasets.create({
        name: role,
        role,
        labelColumn: 'y',
        idColumn: null,
        sha256: 'b'.repeat(64),
        sizeBytes: 10,
        rows: 5,
        columns: [{ name: 'y', type: 'integer', missing: 0 }],
      });
    const members = await dataset(DatasetRole.Members);
    const nonMembers = await dataset(DatasetRole.NonMembers);
    const input = {
      modelVersionId: version.id,
      membersDatasetId: members.id,
      nonMembersDatasetId: nonMembers.id,
      populationDatasetId: null,
      attacks: null,
      seed: 7,
      referenceModels: null,
    };
    return { model, version, input };
  }

  it('numbers model versions and round-trips the signature and size', async () => {
    const model = await models.createModel({ name: 'm', description: 'd' });
    const [v1, v2] = await Promise.all([
      models.addVersion({ modelId: model.id, sha256: 'c'.repeat(64), sizeBytes: 5, signature }),
      models.addVersion({ modelId: model.id, sha256: 'd'.repeat(64), sizeBytes: 6, signature }),
    ]);
    expect([v1.version, v2.version].sort()).toEqual([1, 2]);
    const read = await models.findVersion(v1.id);
    expect(read?.signature).toEqual(signature);
    expect(read?.sizeBytes).toBe(5);
  });

  it('refuses a second active audit of one model version, even when both inserts race', async () => {
    const { input } = await fixture();
    const results = await Promise.allSettled([
      audits.createQueued(input),
      audits.createQueued(input),
      audits.createQueued(input),
    ]);
    const created = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(created).toHaveLength(1);
    expect(refused).toHaveLength(2);
    const winner = (created[0] as PromiseFulfilledResult<{ id: string }>).value;
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(ActiveAuditExistsError);
      expect((r.reason as ActiveAuditExistsError).existingAuditId).toBe(winner.id);
    }
    // Once the audit is finished, a new one may be commissioned.
    expect(await audits.markFailed(winner.id, { code: 'X', reason: 'test' })).toBe(true);
    await expect(audits.createQueued(input)).resolves.toMatchObject({ status: AuditStatus.Queued });
  });

  it('stores findings once per attack even when a retried job completes twice', async () => {
    const { input } = await fixture();
    const audit = await audits.createQueued(input);
    expect(await audits.markRunning(audit.id)).toBe(true);
    expect(await audits.recordProgress(audit.id, 42.4, 'attack:membership.loss')).toBe(AuditStatus.Running);
    expect(await audits.findById(audit.id)).toMatchObject({ progress: 42, phase: 'attack:membership.loss' });
    const report = fakeReport();
    const surrogate = {
      name: 'surrogate.onnx',
      kind: 'surrogate-onnx' as const,
      mediaType: 'application/octet-stream',
      sha256: 'ef'.repeat(32),
      bytes: 1234,
    };
    expect(await audits.completeWithReport(audit.id, report, 'ab'.repeat(32), [surrogate])).toBe(true);
    // Second completion (a retried job): refused, nothing duplicated.
    expect(await audits.completeWithReport(audit.id, report, 'cd'.repeat(32), [{ ...surrogate, bytes: 1 }])).toBe(
      false,
    );
    // The artefacts were written with the report, once.
    expect(await audits.listArtifacts(audit.id)).toEqual([
      { ...surrogate, auditId: audit.id, createdAt: expect.any(Date) },
    ]);
    expect(await audits.findArtifact(audit.id, 'surrogate.onnx')).toMatchObject({ bytes: 1234 });
    expect(await audits.findArtifact(audit.id, 'other.onnx')).toBeNull();
    const findings = await audits.listFindings(audit.id);
    expect(findings.map((f) => f.attack)).toEqual(['membership.loss']);
    expect(findings[0].mostExposed).toEqual([{ rowId: 'r7', score: 0.9, rank: 1 }]);
    const done = await audits.findById(audit.id);
    expect(done).toMatchObject({
      status: AuditStatus.Succeeded,
      progress: 100,
      riskScore: 61,
      riskRating: 'high',
      reportSha256: 'ab'.repeat(32),
    });
    expect((await audits.findReport(audit.id))?.risk.score).toBe(61);
  });

  it('a cancelled audit cannot be completed or failed afterwards', async () => {
    const { input } = await fixture();
    const audit = await audits.createQueued(input);
    await audits.markRunning(audit.id);
    expect(await audits.markCancelled(audit.id)).toBe(AuditStatus.Running);
    expect(await audits.markCancelled(audit.id)).toBeNull();
    expect(await audits.recordProgress(audit.id, 50, 'x')).toBe(AuditStatus.Cancelled);
    const late = {
      name: 'surrogate.onnx',
      kind: 'surrogate-onnx' as const,
      mediaType: 'x',
      sha256: 'ef'.repeat(32),
      bytes: 1,
    };
    expect(await audits.completeWithReport(audit.id, fakeReport(), 'ab'.repeat(32), [late])).toBe(false);
    expect(await audits.listArtifacts(audit.id)).toEqual([]);
    expect(await audits.markFailed(audit.id, { code: 'X', reason: 'late' })).toBe(false);
    expect(await audits.markRunning(audit.id)).toBe(false);
    expect(await audits.listFindings(audit.id)).toEqual([]);
  });

  it('lists the active audits untouched for a while (by the database clock) and counts audits by status', async () => {
    const { input } = await fixture();
    const stale = await audits.createQueued(input);
    await dataSource.query(`UPDATE audits SET updated_at = now() - interval '10 minutes' WHERE id = $1`, [stale.id]);
    expect(await audits.listStaleActive(60_000, 1000)).toContainEqual({
      id: stale.id,
      status: AuditStatus.Queued,
      tenantId: DEFAULT_TENANT_ID,
    });
    // A fresh write makes it young again: the api may be between its insert and its enqueue.
    await dataSource.query(`UPDATE audits SET updated_at = now() WHERE id = $1`, [stale.id]);
    expect((await audits.listStaleActive(60_000, 1000)).map((a) => a.id)).not.toContain(stale.id);
    // Finished audits are never candidates.
    await audits.markFailed(stale.id, { code: 'X', reason: 'r' });
    await dataSource.query(`UPDATE audits SET updated_at = now() - interval '10 minutes' WHERE id = $1`, [stale.id]);
    expect((await audits.listStaleActive(60_000, 1000)).map((a) => a.id)).not.toContain(stale.id);

    const counts = await audits.countByStatus();
    expect(Object.keys(counts).sort()).toEqual(Object.values(AuditStatus).sort());
    const [failed] = await dataSource.query(`SELECT count(*)::int AS n FROM audits WHERE status = 'failed'`);
    expect(counts[AuditStatus.Failed]).toBe(failed.n);
    expect(counts[AuditStatus.Failed]).toBeGreaterThanOrEqual(1);
  });

  it('adds the spent queries of an audit atomically (concurrent records all count) and reads them back', async () => {
    const { input } = await fixture();
    const audit = await audits.createQueued({ ...input, queryBudget: 500 });
    expect(audit).toMatchObject({ queryBudget: 500, queriesUsed: 0 });
    await Promise.all(Array.from({ length: 20 }, () => audits.recordQueries(audit.id, 7)));
    expect(await audits.queriesUsed(audit.id)).toBe(140);
    expect((await audits.findById(audit.id))?.queriesUsed).toBe(140);
    // The budget holds across concurrent senders: a record that would pass it is refused and changes nothing.
    expect(await audits.recordQueries(audit.id, 361)).toBeNull();
    expect(await audits.queriesUsed(audit.id)).toBe(140);
    expect(await audits.recordQueries(audit.id, 360)).toBe(500);
    expect(await audits.recordQueries('00000000-0000-0000-0000-000000000000', 1)).toBeNull();
    await audits.markFailed(audit.id, { code: 'TARGET_FAILED', reason: 'x' });
  });

  it('stores an endpoint version with its secrets apart: never in a record, only through findEndpointSecrets', async () => {
    const model = await models.createModel({ name: 'remote', description: null });
    const id = '11111111-2222-4333-8444-555555555555';
    const version = await models.addEndpointVersion({
      id,
      modelId: model.id,
      sha256: 'e'.repeat(64),
      signature,
      numClasses: 3,
      classNames: null,
      endpoint: {
        url: 'https://models.example.org/v2/models/m/infer',
        protocol: 'kserve-v2',
        output: 'probabilities',
        headerNames: ['authorization'],
        hasQueryString: false,
        nFeatures: 4,
      },
      endpointSecrets: 'v1:ciphertext',
      ownershipToken: 'token-token-token-token',
    });
    expect(version).toMatchObject({ id, kind: 'endpoint', version: 1, sizeBytes: 0, ownershipVerifiedAt: null });
    for (const record of [version, await models.findVersion(id), ...(await models.listVersions(model.id))])
      expect(JSON.stringify(record)).not.toContain('ciphertext');
    expect(await models.findEndpointSecrets(id)).toBe('v1:ciphertext');
    const verified = await models.markOwnershipVerified(id);
    expect(verified?.ownershipVerifiedAt).toBeInstanceOf(Date);
    // A file version keeps kind 'onnx' and no endpoint.
    const { version: file } = await fixture();
    expect(file).toMatchObject({ kind: 'onnx', endpoint: null, numClasses: null, classNames: null });
    // listVersions (raw SQL) answers the very records findVersion (the entity) does.
    expect(await models.listVersions(model.id)).toEqual([await models.findVersion(id)]);
    expect(await models.listVersions(file.modelId)).toEqual([await models.findVersion(file.id)]);
  });

  it('records the whole audit deadline once (Postgres clock); failOverdue ends an overdue audit once, with AUDIT_TIMEOUT', async () => {
    const { input } = await fixture();
    const audit = await audits.createQueued(input);
    expect(await audits.markRunning(audit.id)).toBe(true);
    const first = await audits.timeLeftMs(audit.id, 1);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(1000);
    // A later job of the same audit asking with a longer limit keeps the first deadline.
    const later = await audits.timeLeftMs(audit.id, 3600);
    expect(later).toBeLessThanOrEqual(first as number);
    expect(await audits.failOverdue(100, 'too slow')).not.toContain(audit.id);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await audits.timeLeftMs(audit.id, 3600)).toBeLessThan(0);
    expect(await audits.failOverdue(100, 'too slow')).toEqual([audit.id]);
    expect(await audits.failOverdue(100, 'too slow')).toEqual([]);
    const failed = await audits.findById(audit.id);
    expect(failed).toMatchObject({
      status: AuditStatus.Failed,
      failureCode: 'AUDIT_TIMEOUT',
      failureReason: 'too slow',
    });
    // Exactly one final state: the job's own late failure changes nothing, and the audit has no time left to give.
    expect(await audits.markFailed(audit.id, { code: 'AUDIT_PROCESS_CRASHED', reason: 'late' })).toBe(false);
    expect(await audits.timeLeftMs(audit.id, 3600)).toBeNull();
  });
});

function fakeReport(): AuditReport {
  const interval = { lower: 0.1, upper: 0.3 };
  return {
    schemaVersion: 1,
    tool: { name: 'privaudit', version: '0.1.0' },
    createdAt: new Date().toISOString(),
    target: { sha256: 'a'.repeat(64), format: 'onnx', nFeatures: 4, numClasses: 3, outputKind: 'probabilities' },
    data: {
      members: { sha256: 'b'.repeat(64), rows: 5 },
      nonMembers: { sha256: 'b'.repeat(64), rows: 5 },
      labelColumn: 'y',
    },
    config: { attacks: ['membership.loss'], seed: 7, referenceModels: 0 },
    findings: [
      {
        kind: 'membership',
        attack: 'membership.loss',
        severity: 'high',
        reference: 'Yeom et al. 2018',
        summary: 'leaks',
        metrics: {
          auc: 0.8,
          aucInterval: interval,
          tpr: { '0.001': 0.1, '0.01': 0.2 },
          tprInterval: { '0.001': interval, '0.01': interval },
          fprInterval: { '0.001': interval, '0.01': interval },
          operatingCounts: { '0.001': { tp: 1, fp: 0 }, '0.01': { tp: 1, fp: 0 } },
          balancedAccuracy: 0.7,
          balancedAccuracyInterval: interval,
          advantage: 0.4,
          epsilonLowerBound: 1.2,
          epsilonDelta: 1e-5,
          epsilonGrid: [{ tp: 1, fp: 0 }],
          epsilonNote: 'heuristic',
          rocPoints: [
            [0, 0],
            [1, 1],
          ],
          nMembers: 5,
          nNonMembers: 5,
        },
        mostExposed: [{ rowId: 'r7', score: 0.9, rank: 1 }],
      },
    ],
    risk: { score: 61, rating: 'high', rationale: 'test' },
  };
}
