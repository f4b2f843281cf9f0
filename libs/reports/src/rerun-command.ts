// The `privaudit audit` command that repeats an audit, rebuilt from what the report records. File names are
// placeholders (the report holds hashes, not paths); every option that changes the result is spelled out.
import { membershipFindings } from '../../engine/src/report/findings';
import type { AuditReport } from '../../engine/src/types';

export function rerunCommand(report: AuditReport): string {
  const c = report.config;
  const d = report.data;
  const endpoint = report.target.endpoint;
  const args: string[] = ['privaudit audit'];
  if (endpoint) {
    // Credentials are never in a report: the user adds --target-header and --ownership-token themselves.
    args.push(
      `--target-url ${quote(`${endpoint.origin}${endpoint.path}`)}`,
      `--target-protocol ${endpoint.protocol}`,
      `--target-output ${endpoint.outputKind}`,
    );
    if (c.queries) args.push(`--query-budget ${c.queries.budget}`);
  } else args.push('--model model.onnx');
  args.push('--members members.csv', '--nonmembers nonmembers.csv');
  if (d.population) args.push('--population population.csv');
  args.push(`--label ${quote(d.labelColumn)}`);
  if (d.idColumn !== undefined) args.push(`--id-column ${quote(d.idColumn)}`);
  if (d.pseudonymizedIds) args.push(`--pseudonymize-ids --pseudonym-key-file <key ${d.pseudonymizedIds.keyId}>`);
  if (d.classes) args.push(`--classes ${quote(d.classes.join(','))}`);
  if (d.groupColumn !== undefined) args.push(`--group-column ${quote(d.groupColumn)}`);
  if (d.preprocessing) args.push(`--preprocessing ${quote(d.preprocessing.name)}`);
  args.push(`--attacks ${c.attacks.join(',')}`);
  if (c.inversion?.sensitiveColumn !== undefined) args.push(`--sensitive-column ${quote(c.inversion.sensitiveColumn)}`);
  if (c.inversion?.queryBudget !== undefined) args.push(`--inversion-queries ${c.inversion.queryBudget}`);
  if (c.inversion?.restarts !== undefined) args.push(`--inversion-restarts ${c.inversion.restarts}`);
  if (c.outputPolicy !== undefined) args.push(`--output-policy ${c.outputPolicy}`);
  args.push(`--reference-models ${c.referenceModels}`);
  const t = c.referenceTraining;
  if (t?.epochs !== undefined) args.push(`--reference-epochs ${t.epochs}`);
  if (t?.learningRate !== undefined) args.push(`--reference-learning-rate ${t.learningRate}`);
  if (t?.batchSize !== undefined) args.push(`--reference-batch-size ${t.batchSize}`);
  if (t?.l2 !== undefined) args.push(`--reference-l2 ${t.l2}`);
  if (c.referenceArchitecture) {
    const hidden = c.referenceArchitecture.hidden;
    args.push(`--reference-hidden ${hidden.length > 0 ? hidden.join(',') : 'none'}`);
    args.push(`--reference-activation ${c.referenceArchitecture.activation}`);
  }
  if (c.referenceFit && c.referenceFit.trainSize !== d.members.rows) {
    args.push(`--target-train-size ${c.referenceFit.trainSize}`);
  }
  if (d.duplicates) args.push(`--duplicates ${d.duplicates.policy}`);
  const membership = membershipFindings(report.findings);
  const topExposed = Math.max(0, ...membership.map((f) => f.mostExposed.length));
  if (membership.length > 0 && topExposed !== 10) args.push(`--top-exposed ${topExposed}`);
  args.push(`--seed ${c.seed}`, '--out report.json', '--pdf report.pdf');
  return args.join(' \\\n    ');
}

/** Shell-safe: plain words stay as they are, anything else in single quotes. */
function quote(word: string): string {
  return /^[A-Za-z0-9_.,:/-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
