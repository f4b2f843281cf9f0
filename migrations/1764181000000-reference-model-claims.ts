import { MigrationInterface, QueryRunner } from 'typeorm';

// One training per reference model across audits: the job training a model holds its key's claim, a lease it
// renews while it trains (like a BullMQ job lock). Another job that needs the same model waits for it to be stored,
// and takes the claim over only when the lease ran out (its holder died or froze).
export class ReferenceModelClaims1764181000000 implements MigrationInterface {
  name = 'ReferenceModelClaims1764181000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reference_model_claims (
        cache_key text PRIMARY KEY,
        holder uuid NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reference_model_claims`);
  }
}
