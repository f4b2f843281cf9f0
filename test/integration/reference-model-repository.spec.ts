import { DataSource } from 'typeorm';
import type { MlpWeights } from '../../libs/engine/src/training/mlp';
import { PostgresReferenceModelStore } from '../../libs/persistence/src/postgres-reference-model-store';
import { TypeOrmReferenceModelRepository } from '../../libs/persistence/src/typeorm/typeorm-reference-model.repository';
import { boundToTenant, DEFAULT_TENANT_ID, TenantDb } from '../../libs/persistence/src/tenancy';
import { openTestSchema } from './support/test-infrastructure';

const weights = (bias: number): MlpWeights => ({
  architecture: { nFeatures: 2, hidden: [], numClasses: 2, activation: 'relu' },
  layers: [{ inputs: 2, outputs: 2, weights: new Float32Array([0.5, -1, 2, 0.25]), bias: new Float32Array([bias, 0]) }],
});

describe('reference models in Postgres', () => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  let repo: TypeOrmReferenceModelRepository;
  beforeAll(async () => {
    ({ dataSource, drop } = await openTestSchema('refmodels'));
    repo = boundToTenant(new TypeOrmReferenceModelRepository(new TenantDb(dataSource)), DEFAULT_TENANT_ID);
  });
  afterAll(async () => drop());

  it('stores a model once per key (the first writer wins) and round-trips its weights', async () => {
    const store = new PostgresReferenceModelStore(repo);
    const key = 'ab'.repeat(32);
    expect(await store.get(key)).toBeUndefined();
    await store.put(key, weights(1));
    await store.put(key, weights(7)); // a second worker finishing the same model: ignored
    const read = await store.get(key);
    expect(Array.from(read?.layers[0]?.bias ?? [])).toEqual([1, 0]);
    expect(Array.from(read?.layers[0]?.weights ?? [])).toEqual([0.5, -1, 2, 0.25]);
    expect(await repo.putIfAbsent(key, Buffer.from('x'))).toBe(false);
    expect(await repo.putIfAbsent('cd'.repeat(32), Buffer.from('x'))).toBe(true);
    expect(await repo.storedKeys([key, 'cd'.repeat(32), 'ef'.repeat(32)])).toEqual(new Set([key, 'cd'.repeat(32)]));
    const rows: Array<{ n: number }> = await dataSource.query(`SELECT count(*)::int AS n FROM reference_models`);
    expect(rows[0]?.n).toBe(2);
  });

  it('refuses a key that is not a hex digest', async () => {
    await expect(repo.putIfAbsent('../etc', Buffer.from('x'))).rejects.toThrow();
  });
});
