// The api and the worker with a tenant login (DATABASE_TENANT_URL; docs/security.md, "Tenants"), as docker-compose
// runs them: both refuse to start on a login that could escape row-level security, and with a proper one an audit
// runs end to end (commission under the quota lock, the worker's progress, reference model and findings, deletion),
// each process's tenant transactions on the login's sessions and its installation-wide work on DATABASE_URL's.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { createTenantLogin } from '../integration/support/test-infrastructure';
import { digitsCsv, memorisingDigitsModelOnnx } from './support/audit-fixtures';
import { uploadAuditInputs, type UploadedAuditInputs } from './support/audit-inputs';
import {
  API_ENTRY,
  assertBuilt,
  DATABASE_URL,
  ManagedProcess,
  REDIS_URL,
  RunningService,
  startService,
  WORKER_ENTRY,
} from './support/service-harness';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../libs/persistence/src/data-source-options';

jest.setTimeout(240_000);

/** Local TCP ports of `pid`'s sockets (Linux /proc): which Postgres sessions are that process's. */
function localPortsOf(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue; // no IPv6 here
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (inodes.has(cols[9]!)) ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

describe('api and worker with a tenant login (DATABASE_TENANT_URL)', () => {
  let svc: RunningService;
  let ids: UploadedAuditInputs;
  const api = () => request(svc.baseUrl);

  beforeAll(async () => {
    svc = await startService('tlogin', { tenantLogin: true });
    ids = await uploadAuditInputs(svc, memorisingDigitsModelOnnx(digitsCsv(0, 40)), {
      members: digitsCsv(0, 40, { withId: true }),
      nonMembers: digitsCsv(40, 80, { withId: true }),
      population: digitsCsv(80, 280, { withId: true }),
      idColumn: 'row_id',
    });
  });
  afterAll(async () => svc?.stop());

  /** The user names of the Postgres sessions each process holds open now. */
  async function sessionUsers(pid: number): Promise<Set<string>> {
    const ports = localPortsOf(pid);
    const rows: Array<{ usename: string; client_port: number }> = await svc.db.query(
      `SELECT usename, client_port FROM pg_stat_activity WHERE datname = current_database() AND client_port IS NOT NULL`,
    );
    return new Set(rows.filter((r) => ports.has(r.client_port)).map((r) => r.usename));
  }

  it('runs an audit end to end, each process using the login for tenant work and DATABASE_URL for the rest', async () => {
    const created = await api()
      .post('/audits')
      .set('x-api-key', svc.adminKey)
      .send({
        modelVersionId: ids.versionId,
        membersDatasetId: ids.membersId,
        nonMembersDatasetId: ids.nonMembersId,
        populationDatasetId: ids.populationId,
        attacks: ['membership.loss', 'membership.rmia'],
        referenceModels: 1,
        referenceTraining: { epochs: 3 },
      })
      .expect(201);
    const deadline = Date.now() + 180_000;
    let audit: { status: string; findings?: unknown[] } = { status: 'queued' };
    while (!['succeeded', 'failed', 'cancelled'].includes(audit.status) && Date.now() < deadline) {
      await sleep(500);
      audit = (await api().get(`/audits/${created.body.id}`).set('x-api-key', svc.adminKey).expect(200)).body;
    }
    expect(audit.status).toBe('succeeded');
    const findings = await api().get(`/audits/${created.body.id}/findings`).set('x-api-key', svc.adminKey).expect(200);
    expect(findings.body.length).toBeGreaterThan(0);
    const [stored] = await svc.db.query(`SELECT count(*)::int AS n FROM reference_models`);
    expect(stored.n).toBe(1);

    const login = svc.tenantLoginRole!;
    const [owner] = await svc.db.query(`SELECT current_user AS u`);
    // Idle pooled sessions stay open: each process has both kinds.
    expect(await sessionUsers(svc.api.pid)).toEqual(new Set([login, owner.u]));
    expect(await sessionUsers(svc.workers[0]!.pid)).toEqual(new Set([login, owner.u]));

    // Deletion: the tenant's transaction on the login, then the installation-wide check of unreferenced blobs.
    const deleted = await api().delete(`/audits/${created.body.id}`).set('x-api-key', svc.adminKey).expect(200);
    expect(deleted.body).toMatchObject({ subjectType: 'audit', subjectId: created.body.id });
    const receipt = await api().get(`/deletion-receipts/${deleted.body.id}`).set('x-api-key', svc.adminKey).expect(200);
    expect(receipt.body.sha256).toBe(deleted.body.sha256);
    expect(await svc.db.query(`SELECT id FROM audits WHERE id = $1`, [created.body.id])).toEqual([]);
  });

  it('answers readiness on both connections', async () => {
    await api().get('/health/ready').expect(200);
  });
});

describe('start-up refuses a DATABASE_TENANT_URL that could escape row-level security', () => {
  it('api and worker exit naming the variable, never printing the URL or its password', async () => {
    assertBuilt();
    const login = await createTenantLogin('e2ebypass', { attributes: 'BYPASSRLS' });
    const schema = `e2e_tlrefuse_${randomBytes(4).toString('hex')}`;
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL,
      DATABASE_TENANT_URL: login.url,
      DATABASE_SCHEMA: schema,
      REDIS_URL,
      QUEUE_PREFIX: `e2e-tlrefuse-${randomBytes(4).toString('hex')}`,
      PORT: '0',
      PRIVAUDIT_BOOTSTRAP_ADMIN_KEY: `admin-${randomBytes(24).toString('hex')}`,
      LOG_LEVEL: 'warn',
      PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE: 'true',
    };
    const password = new URL(login.url).password;
    try {
      for (const entry of [API_ENTRY, WORKER_ENTRY]) {
        const p = new ManagedProcess(spawn(process.execPath, [entry], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
        const ended = await p.waitForExit(60_000);
        expect(ended.code).not.toBe(0);
        expect(ended.signal).toBeNull();
        expect(p.output).toMatch(
          /DATABASE_TENANT_URL is refused: its role has \(or is a member of a role with\) BYPASSRLS/,
        );
        expect(p.output).not.toContain(password);
        expect(p.output).not.toContain(login.url);
        expect(p.output).not.toMatch(/listening on port|worker ready/);
      }
    } finally {
      const db = new DataSource(buildDataSourceOptions({ url: DATABASE_URL, schema }));
      await db.initialize();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.destroy();
      await login.drop();
    }
  });
});
