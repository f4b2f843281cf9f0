/** One request of an authenticated caller that touched a resource. Never a request body or a data value. */
export interface AccessLogEntry {
  readonly keyId: string;
  readonly role: string;
  readonly action: 'create' | 'view' | 'export' | 'update' | 'delete';
  /** The route's first segment: models, model-versions, datasets, audits, api-keys, access-log... */
  readonly resourceType: string;
  readonly resourceId: string | null;
  readonly method: string;
  /** The route pattern with the id, e.g. /audits/<id>/report.pdf; never a query string. */
  readonly path: string;
  readonly status: number;
}

export interface AccessLogRecord extends AccessLogEntry {
  readonly id: string;
  readonly at: Date;
}

export interface AccessLogQuery {
  readonly resourceType?: string;
  readonly resourceId?: string;
  readonly keyId?: string;
  readonly action?: AccessLogEntry['action'];
  /** Entries older than this id (the previous page's last id). */
  readonly beforeId?: string;
  readonly limit: number;
}

/** The append-only access log (Postgres refuses updates and deletes of it). */
export abstract class AccessLogRepository {
  abstract append(entry: AccessLogEntry): Promise<void>;
  /** Several entries of the current tenant in one statement and one transaction: all of them or none, in order. */
  abstract appendMany(entries: readonly AccessLogEntry[]): Promise<void>;
  /** Newest first. */
  abstract query(query: AccessLogQuery): Promise<AccessLogRecord[]>;
}
