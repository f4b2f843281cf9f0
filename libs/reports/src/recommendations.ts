// What to do about a finding, chosen from what the finding and the audit show: an attack that needs only
// labels is not stopped by coarser scores; a model that fits every training record perfectly is memorising;
// repeated records are memorised more. Each recommendation says how to measure its effect with privaudit.
import { isMembershipFinding } from '../../engine/src/report/findings';
import type { AuditReport, Finding, MembershipFinding, RiskRating, Severity } from '../../engine/src/types';

export interface Recommendation {
  readonly title: string;
  readonly text: string;
}

const SEVERITY_ORDER: readonly Severity[] = ['none', 'low', 'medium', 'high', 'critical'];

export function atLeast(severity: Severity, floor: Severity): boolean {
  return SEVERITY_ORDER.indexOf(severity) >= SEVERITY_ORDER.indexOf(floor);
}

/** What the rating asks of the organisation (docs/risk-model.md, "Suggested use by rating"). */
export const ACTION_BY_RATING: Readonly<Record<RiskRating, string>> = {
  low: 'Record this report in the data protection impact assessment (DPIA). No mitigation is required; re-audit each new version of the model.',
  medium:
    'Document the finding in the DPIA and apply the cheap mitigations below (coarser answers from the prediction service, regularisation), then re-audit before relying on the model.',
  high: 'Mitigate before the model is released or further exposed: reduce memorisation (regularisation, differentially private training) and restrict what the prediction service returns, then re-audit.',
  critical:
    'Do not release the model. Treat the result as a likely disclosure of training data: involve the data protection officer, mitigate (differentially private training, removing or protecting the exposed records) and re-audit.',
};

export function recommendationsFor(finding: Finding, report: AuditReport): Recommendation[] {
  if (!isMembershipFinding(finding)) return familyRecommendations(finding);
  return membershipRecommendations(finding, report);
}

/** Extraction (OWASP ML05) and inversion (ML03) findings: what restricts the attacker's signal or budget. */
function familyRecommendations(finding: Exclude<Finding, MembershipFinding>): Recommendation[] {
  if (!atLeast(finding.severity, 'low')) {
    return [
      {
        title: 'No mitigation needed for this attack',
        text: 'The attack did not succeed beyond what its baseline and the sample sizes explain. Keep this result with the DPIA and re-audit when the model or its prediction service change.',
      },
    ];
  }
  if (finding.kind === 'extraction') {
    return [
      {
        title: 'Return less from the prediction service',
        text: 'Confidence scores let an attacker copy the model with far fewer queries than labels do. Return the top class only, or round confidences to one or two decimals; re-run the audit with --output-policy to measure the attacker cost each policy buys.',
      },
      {
        title: 'Limit, price and monitor queries',
        text: 'Extraction needs many queries from one client. Authenticate clients, cap queries per client and per day, and alert on clients whose queries cover the input space unusually evenly (synthetic queries).',
      },
    ];
  }
  return [
    {
      title: 'Reduce what the model reveals about individual attributes',
      text: 'Regularise the model (weight decay, early stopping) or train it with differential privacy (DP-SGD), so that its answers depend less on any one training record; return coarser answers from the prediction service. Re-audit: member accuracy should fall to the baseline.',
    },
    {
      title: 'Review whether the sensitive attribute must influence the model',
      text: 'Where the sensitive column (or a close proxy) is a model input, consider removing it or coarsening it, and record the decision in the DPIA.',
    },
  ];
}

function membershipRecommendations(finding: MembershipFinding, report: AuditReport): Recommendation[] {
  if (!atLeast(finding.severity, 'low')) {
    return [
      {
        title: 'No mitigation needed for this attack',
        text: 'The attack did not separate training records from other records beyond what chance explains at the sample sizes audited. Keep this result with the DPIA and re-audit when the model or its training data change.',
      },
    ];
  }
  const out: Recommendation[] = [];
  const labelsOnly = finding.attack === 'membership.label-only';
  if (labelsOnly) {
    out.push({
      title: 'Coarser answers will not stop this attack',
      text: 'This attack needs only the predicted label, so rounding or truncating the scores the service returns does not help. Reduce memorisation instead (below).',
    });
  } else {
    const policy = report.config.outputPolicy;
    out.push({
      title: 'Return less from the prediction service (output rounding, top-k, labels only)',
      text:
        'The attack reads the confidence scores the model returns. Rounding them to one or two decimals, returning only the top class (top-k) or only the label removes much of that signal at little cost to legitimate users. ' +
        (policy !== undefined
          ? `This audit already assumed the output policy ${policy}; compare with an audit of the other policies.`
          : 'Measure the effect before deciding: re-run the audit with --output-policy round:2, top-k:1 or labels.'),
    });
  }
  out.push({
    title: 'Limit and monitor queries (rate limits)',
    text: 'Membership attacks query the model for each record of interest, and the stronger ones also query many population records. Authenticate clients, rate-limit and cap queries per client, and log unusual volumes.',
  });
  const targetFit = report.config.referenceFit?.target;
  out.push({
    title: 'Regularise the model',
    text:
      'A model that fits its training records much more tightly than unseen records reveals which records it saw. Use weight decay (L2), early stopping, dropout or data augmentation, and stop training when held-out loss stops improving.' +
      (targetFit !== undefined && targetFit.accuracy >= 0.999
        ? ` The audited model classifies ${formatShare(targetFit.accuracy)} of its training records correctly${targetFit.loss !== null ? ` with a mean loss of ${targetFit.loss.toPrecision(2)}` : ''}: a sign of memorisation.`
        : ''),
  });
  if (atLeast(finding.severity, 'medium')) {
    out.push({
      title: 'Train with differential privacy (DP-SGD)',
      text: 'DP-SGD (Abadi et al., CCS 2016; e.g. Opacus, TensorFlow Privacy) bounds what any single record can change in the model, a formal guarantee this audit cannot give. Choose epsilon with the DPO, then re-audit: the attack should fall to guessing.',
    });
  }
  const dups = report.data.duplicates;
  const repeats = dups ? dups.withinMembers + dups.nonMembersMatchingMembers + dups.withinPopulation : 0;
  if (dups && repeats > 0) {
    out.push({
      title: 'De-duplicate the training data',
      text: `The data hold identical records under different ids (${dups.withinMembers} repeats among the members, ${dups.nonMembersMatchingMembers} non-members identical to a member, ${dups.withinPopulation} repeats in the population). Records that occur several times are memorised more strongly; remove repeats before training.`,
    });
  }
  if (atLeast(finding.severity, 'medium') && finding.mostExposed.length > 0) {
    out.push({
      title: 'Review the most exposed records',
      text: 'The records this finding lists by id are the ones the attack is most confident about; they are often outliers or rare cases. Consider removing them from training or collecting more records like them, then re-audit: removing the most exposed records can expose the next ones (the "privacy onion", Carlini et al., NeurIPS 2022).',
    });
  }
  return out;
}

function formatShare(x: number): string {
  return `${(100 * x).toFixed(x >= 0.999 && x < 1 ? 1 : 0)}%`;
}
