import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditReport } from '../../engine/src/types';
import { parseAuditReport } from './report-input';
import { renderReportHtml } from './render-html';
import { rerunCommand } from './rerun-command';

const demo = JSON.parse(
  readFileSync(join(__dirname, '../../../test/fixtures/demo-report.json'), 'utf8'),
) as AuditReport;
const remote: AuditReport = {
  ...demo,
  target: {
    ...demo.target,
    format: 'http',
    endpoint: {
      origin: 'https://models.example.com',
      path: '/v2/models/churn/infer',
      protocol: 'kserve-v2',
      outputKind: 'logits',
    },
  },
  config: {
    ...demo.config,
    queries: { planned: 6000, used: 5880, spentBefore: 0, budget: 20000, cacheHits: 12, requests: 25 },
  },
};

describe('a report of a remote target', () => {
  it('is a valid report; the document names the endpoint and the queries; the rerun command targets the URL', async () => {
    expect(() => parseAuditReport(remote, 'remote.json')).not.toThrow();
    const html = await renderReportHtml(remote);
    expect(html).toContain('https://models.example.com/v2/models/churn/infer (kserve-v2)');
    expect(html).toContain('5880 sent of a budget of 20000');
    const line = rerunCommand(remote);
    expect(line).toContain('--target-url https://models.example.com/v2/models/churn/infer');
    expect(line).toContain('--target-protocol kserve-v2');
    expect(line).toContain('--query-budget 20000');
    expect(line).not.toContain('--model');
  });
});
