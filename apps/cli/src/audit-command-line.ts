// The `privaudit audit` command line that reproduces a given set of options, printed by the demo so a user
// can rerun (and then vary) exactly the audit they just watched.
import type { AuditCommandOptions } from './audit-command';

/** Shell-quoted only where needed, so the line can be pasted as is. */
export function equivalentCommand(o: AuditCommandOptions): string {
  const q = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const args: string[] = ['privaudit', 'audit'];
  if (o.model !== undefined) args.push('--model', q(o.model));
  if (o.remote !== undefined) {
    args.push('--target-url', q(o.remote.url));
    if (o.remote.protocol !== undefined) args.push('--target-protocol', o.remote.protocol);
    // Header values are secrets: the line names the header and leaves its value for the user to fill in.
    for (const h of o.remote.headers ?? []) args.push('--target-header', q(`${h.split(':')[0] ?? ''}: <value>`));
    for (const h of o.remote.headersFromEnv ?? []) args.push('--target-header-from-env', q(h));
    if (o.remote.output !== undefined) args.push('--target-output', o.remote.output);
    if (o.remote.modelName !== undefined) args.push('--target-model-name', q(o.remote.modelName));
  }
  for (const h of o.outbound?.allowHosts ?? []) args.push('--allow-host', q(h));
  if (o.outbound?.queryBudget !== undefined) args.push('--query-budget', String(o.outbound.queryBudget));
  args.push('--members', q(o.members), '--nonmembers', q(o.nonMembers));
  if (o.population !== undefined) args.push('--population', q(o.population));
  args.push('--label', q(o.label));
  if (o.idColumn !== undefined) args.push('--id-column', q(o.idColumn));
  if (o.classes) args.push('--classes', q(o.classes.join(',')));
  if (o.numClasses !== undefined) args.push('--num-classes', String(o.numClasses));
  if (o.groupColumn !== undefined) args.push('--group-column', q(o.groupColumn));
  if (o.preprocessing !== undefined) args.push('--preprocessing', q(o.preprocessing));
  if (o.attacks) args.push('--attacks', q(o.attacks.join(',')));
  if (o.sensitiveColumn !== undefined) args.push('--sensitive-column', q(o.sensitiveColumn));
  if (o.inversionQueries !== undefined) args.push('--inversion-queries', String(o.inversionQueries));
  if (o.inversionOut !== undefined) args.push('--inversion-out', q(o.inversionOut));
  if (o.inversionRestarts !== undefined) args.push('--inversion-restarts', String(o.inversionRestarts));
  if (o.outputPolicy !== undefined) args.push('--output-policy', q(o.outputPolicy));
  if (o.referenceModels !== undefined) args.push('--reference-models', String(o.referenceModels));
  if (o.referenceEpochs !== undefined) args.push('--reference-epochs', String(o.referenceEpochs));
  if (o.referenceLearningRate !== undefined) args.push('--reference-learning-rate', String(o.referenceLearningRate));
  if (o.referenceBatchSize !== undefined) args.push('--reference-batch-size', String(o.referenceBatchSize));
  if (o.referenceL2 !== undefined) args.push('--reference-l2', String(o.referenceL2));
  if (o.targetTrainSize !== undefined) args.push('--target-train-size', String(o.targetTrainSize));
  if (o.duplicates !== undefined) args.push('--duplicates', o.duplicates);
  if (o.referenceHidden !== undefined)
    args.push('--reference-hidden', o.referenceHidden.length > 0 ? o.referenceHidden.join(',') : 'none');
  if (o.referenceActivation !== undefined) args.push('--reference-activation', o.referenceActivation);
  if (o.seed !== undefined) args.push('--seed', String(o.seed));
  if (o.topExposed !== undefined) args.push('--top-exposed', String(o.topExposed));
  if (o.maxModelMb !== undefined) args.push('--max-model-mb', String(o.maxModelMb));
  if (o.out !== undefined) args.push('--out', q(o.out));
  if (o.pdf !== undefined) args.push('--pdf', q(o.pdf));
  if (o.html !== undefined) args.push('--html', q(o.html));
  if (o.dryRun === true) args.push('--dry-run');
  return args.join(' ');
}
