import { DataSource } from 'typeorm';
import { AuditDurationBuckets, DatabaseStatus } from '../repositories/database-status';

export class TypeOrmDatabaseStatus extends DatabaseStatus {
  constructor(
    private readonly dataSource: DataSource,
    /** DATABASE_TENANT_URL's connection, if any: readiness needs both. */
    private readonly tenantLogin?: DataSource,
  ) {
    super();
  }

  async ping(): Promise<void> {
    await Promise.all([this.dataSource.query('SELECT 1'), this.tenantLogin?.query('SELECT 1')]);
  }

  pendingMigrations(): Promise<boolean> {
    return this.dataSource.showMigrations();
  }

  async auditDurations(buckets: readonly number[]): Promise<AuditDurationBuckets[]> {
    const finished = `SELECT status, extract(epoch FROM finished_at - started_at)::double precision AS d FROM audits
                      WHERE finished_at IS NOT NULL AND started_at IS NOT NULL`;
    const totals: Array<{ status: string; sum: number; count: number }> = await this.dataSource.query(
      `SELECT status, coalesce(sum(d), 0)::double precision AS sum, count(*)::int AS count FROM (${finished}) f
       GROUP BY status ORDER BY status`,
    );
    const cells: Array<{ status: string; i: string; n: number }> = await this.dataSource.query(
      `SELECT f.status, b.i, count(*) FILTER (WHERE f.d <= b.bound)::int AS n
       FROM (${finished}) f CROSS JOIN unnest($1::double precision[]) WITH ORDINALITY AS b(bound, i)
       GROUP BY f.status, b.i`,
      [buckets],
    );
    return totals.map((t) => {
      const le = buckets.map(() => 0);
      for (const c of cells) if (c.status === t.status) le[Number(c.i) - 1] = c.n;
      return { status: t.status, le, sum: Number(t.sum), count: t.count };
    });
  }

  async referenceModelsStored(): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT count(*)::int AS n FROM reference_models`);
    return Number(row.n);
  }

  async failuresByCode(): Promise<Array<{ code: string; count: number }>> {
    return this.dataSource.query(
      `SELECT coalesce(failure_code, 'UNKNOWN') AS code, count(*)::int AS count FROM audits WHERE status = 'failed'
       GROUP BY 1 ORDER BY 1`,
    );
  }

  async retentionDeletions(): Promise<Array<{ subjectType: string; count: number }>> {
    const rows: Array<{ subject_type: string; n: number }> = await this.dataSource.query(
      `SELECT subject_type, count(*)::int AS n FROM deletion_receipts WHERE receipt->>'reason' = 'retention'
        GROUP BY subject_type ORDER BY subject_type`,
    );
    return rows.map((r) => ({ subjectType: r.subject_type, count: r.n }));
  }
}
