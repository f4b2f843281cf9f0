import type { TenantDb } from '../tenancy/tenant-db';
import {
  AccessLogRepository,
  type AccessLogEntry,
  type AccessLogQuery,
  type AccessLogRecord,
} from '../repositories/access-log.repository';

interface Row {
  id: string;
  at: Date;
  key_id: string;
  role: string;
  action: AccessLogEntry['action'];
  resource_type: string;
  resource_id: string | null;
  method: string;
  path: string;
  status: number;
}

export class TypeOrmAccessLogRepository extends AccessLogRepository {
  constructor(private readonly db: TenantDb) {
    super();
  }

  async append(e: AccessLogEntry): Promise<void> {
    await this.appendMany([e]);
  }

  async appendMany(entries: readonly AccessLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const params: unknown[] = [];
    const rows = entries.map((e) => {
      const n = params.length;
      params.push(e.keyId, e.role, e.action, e.resourceType, e.resourceId, e.method, e.path, e.status);
      return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7}, $${n + 8})`;
    });
    await this.db.query(
      `INSERT INTO access_log (key_id, role, action, resource_type, resource_id, method, path, status)
       VALUES ${rows.join(', ')}`,
      params,
    );
  }

  async query(q: AccessLogQuery): Promise<AccessLogRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.resourceType !== undefined) add('resource_type = ?', q.resourceType);
    if (q.resourceId !== undefined) add('resource_id = ?', q.resourceId);
    if (q.keyId !== undefined) add('key_id = ?', q.keyId);
    if (q.action !== undefined) add('action = ?', q.action);
    if (q.beforeId !== undefined) add('id < ?', q.beforeId);
    params.push(q.limit);
    const rows = (await this.db.query(
      `SELECT id::text, at, key_id, role, action, resource_type, resource_id, method, path, status FROM access_log
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    )) as Row[];
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      keyId: r.key_id,
      role: r.role,
      action: r.action,
      resourceType: r.resource_type,
      resourceId: r.resource_id,
      method: r.method,
      path: r.path,
      status: r.status,
    }));
  }
}
