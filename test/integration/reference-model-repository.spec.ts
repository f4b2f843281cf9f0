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
  let tenantDb: TenantDb;
  let drop: () => Promise<void>;
  let repo: TypeOrmReferenceModelRepository;
  beforeAll(async () => {
    ({ dataSource, drop, tenantDb } = await openTestSchema('refmodels'));
    repo = boundToTenant(new TypeOrmReferenceModelRepository(tenantDb), DEFAULT_TENANT_ID);
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

  it('gives a model key claim to one holder at a time, renews it while training, frees it when training settles', async () => {
    const key = 'cd'.repeat(32);
    const lease = 600;
    let release: () => void = () => undefined;
    const holding = repo.withTrainingClaim(
      key,
      lease,
      () => new Promise<string>((r) => (release = () => r('trained'))),
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(await repo.withTrainingClaim(key, lease, async () => 'second')).toEqual({ claimed: false });
    // Renewed while the holder trains: still held well past one lease.
    await new Promise((r) => setTimeout(r, 3 * lease));
    expect(await repo.withTrainingClaim(key, lease, async () => 'second')).toEqual({ claimed: false });
    // Another key is independent.
    expect(await repo.withTrainingClaim('ef'.repeat(32), lease, async () => 'other')).toEqual({
      claimed: true,
      value: 'other',
    });
    release();
    expect(await holding).toEqual({ claimed: true, value: 'trained' });
    expect(await repo.withTrainingClaim(key, lease, async () => 'third')).toEqual({ claimed: true, value: 'third' });
    // A failed training frees the claim too.
    await expect(repo.withTrainingClaim(key, lease, () => Promise.reject(new Error('child crashed')))).rejects.toThrow(
      'child crashed',
    );
    expect(await repo.withTrainingClaim(key, lease, async () => 'fourth')).toEqual({ claimed: true, value: 'fourth' });
  });

  it('lets another job take over a claim whose holder stopped renewing (died or froze) once its lease ran out', async () => {
    const key = '12'.repeat(32);
    // A holder that froze: its claim row stays, its lease is not renewed. Claims are named by tenant and cache key.
    await dataSource.query(
      `INSERT INTO reference_model_claims (cache_key, holder, expires_at) VALUES ($1, gen_random_uuid(), now() + interval '400 milliseconds')`,
      [`${DEFAULT_TENANT_ID}:${key}`],
    );
    expect(await repo.withTrainingClaim(key, 5000, async () => 'early')).toEqual({ claimed: false });
    await new Promise((r) => setTimeout(r, 500));
    expect(await repo.withTrainingClaim(key, 5000, async () => 'took over')).toEqual({
      claimed: true,
      value: 'took over',
    });
  });
});
