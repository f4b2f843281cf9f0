// The queries an audit of a remote target will send are planned once, in prepareAudit, on the data as measured
// (duplicate records left out), and a plan over the audit's hard budget is refused there, before any request:
// the service's commissioning calls prepareAudit, so the refusal is a 422 naming the option, not a failed audit.
// Nothing here connects anywhere: the endpoint below is never queried.
import { EngineErrorCode, type EngineError } from '../errors';
import { leakyTargetFixture } from '../../../../test/fixtures/remote-audit-fixtures';
import type { AuditRequest } from './audit-request';
import { planAudit } from './plan-audit';
import { prepareAudit } from './prepare-audit';

const fixture = leakyTargetFixture();

function request(overrides: Partial<AuditRequest> = {}): AuditRequest {
  return {
    remoteTarget: {
      url: 'http://127.0.0.1:9/',
      protocol: 'kserve-v2',
      modelName: 'm',
      numClasses: 3,
      headers: {},
      output: 'probabilities',
    },
    outbound: { allowHosts: ['127.0.0.1'], queryBudget: 100_000 },
    members: { name: 'members.csv', data: fixture.members },
    nonMembers: { name: 'nonmembers.csv', data: fixture.nonMembers },
    labelColumn: 'label',
    idColumn: 'id',
    attacks: ['membership.loss', 'membership.label-only'],
    seed: 1,
    ...overrides,
  };
}

/** The non-members with their first row's features replaced by the first member's: one cross-role duplicate. */
function nonMembersWithOneMemberTwin(): Buffer {
  const [header, firstMember] = fixture.members.toString('utf8').trim().split('\n');
  const [, ...rows] = fixture.nonMembers.toString('utf8').trim().split('\n');
  const twin = `n1,${(firstMember as string).split(',').slice(1).join(',')}`;
  return Buffer.from([header, twin, ...rows.slice(1)].join('\n') + '\n');
}

describe('the planned target queries', () => {
  it('are planned once after duplicates are left out, and carried on the prepared audit', async () => {
    const plain = await prepareAudit(request());
    expect(plain.queryPlan?.audited).toBe(120);
    const twin = await prepareAudit(
      request({ nonMembers: { name: 'nonmembers.csv', data: nonMembersWithOneMemberTwin() } }),
    );
    // The non-member identical to a member is left out of the measurement: 59 + 60 rows, one query each.
    expect(twin.duplicates.excludedNonMembers).toBe(1);
    expect(twin.nonMembers.nRows).toBe(59);
    expect(twin.queryPlan?.audited).toBe(119);
    expect(twin.queryPlan?.total).toBeLessThan(plain.queryPlan?.total as number);
  });

  it('refuses a plan over the hard budget in prepareAudit, naming the option; planAudit shows it instead', async () => {
    const { queryPlan } = await prepareAudit(request());
    const total = queryPlan?.total as number;
    await expect(
      prepareAudit(request({ outbound: { allowHosts: ['127.0.0.1'], queryBudget: total } })),
    ).resolves.toBeDefined();
    const error = (await prepareAudit(
      request({ outbound: { allowHosts: ['127.0.0.1'], queryBudget: total - 1 } }),
    ).catch((e: unknown) => e)) as EngineError;
    expect(error.code).toBe(EngineErrorCode.QueryBudgetExceeded);
    expect(error.location?.option).toBe('outbound.queryBudget');
    expect(error.message).toContain(`needs ${total} queries but the query budget leaves ${total - 1}`);
    const dryRun = await planAudit(request({ outbound: { allowHosts: ['127.0.0.1'], queryBudget: total - 1 } }));
    expect(dryRun.queries).toMatchObject({ total, budget: total - 1 });
  });

  it('gives extraction attacks what the other attacks leave, and refuses a budget that leaves too little', async () => {
    const population = { name: 'population.csv', data: fixture.population };
    const prepared = await prepareAudit(
      request({
        population,
        attacks: ['membership.loss', 'extraction.knockoff'],
        outbound: { allowHosts: ['127.0.0.1'], queryBudget: 3000 },
      }),
    );
    // 120 audited rows + 1000 uniform evaluation inputs; the rest is the knockoff's.
    expect(prepared.queryBudget).toBe(3000 - 120 - 1000);
    expect(prepared.queryPlan?.total).toBe(3000);
    const error = (await prepareAudit(
      request({
        population,
        attacks: ['extraction.knockoff'],
        outbound: { allowHosts: ['127.0.0.1'], queryBudget: 1200 },
      }),
    ).catch((e: unknown) => e)) as EngineError;
    expect(error).toMatchObject({
      code: EngineErrorCode.QueryBudgetExceeded,
      location: { option: 'outbound.queryBudget' },
    });
  });

  it('names the sensitiveColumn option when inversion.attribute cannot use the column', async () => {
    const population = { name: 'population.csv', data: fixture.population };
    const error = (await prepareAudit(
      request({ population, attacks: ['inversion.attribute'], sensitiveColumn: 'f9' }),
    ).catch((e: unknown) => e)) as EngineError;
    expect(error).toMatchObject({ code: EngineErrorCode.CsvMissingColumn, location: { option: 'sensitiveColumn' } });
  });
});
