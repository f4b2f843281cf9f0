// Findings come in families (membership, extraction, inversion), told apart by `kind`. Reports written before
// extraction existed carry no `kind`: every finding in them is a membership finding.

import type { ExtractionFinding, Finding, InversionFinding, MembershipFinding } from '../types';

export function isMembershipFinding(finding: Finding): finding is MembershipFinding {
  return finding.kind === 'membership' || (finding as { kind?: string }).kind === undefined;
}

export function isExtractionFinding(finding: Finding): finding is ExtractionFinding {
  return finding.kind === 'extraction';
}

export function isInversionFinding(finding: Finding): finding is InversionFinding {
  return finding.kind === 'inversion';
}

export function membershipFindings(findings: readonly Finding[]): MembershipFinding[] {
  return findings.filter(isMembershipFinding);
}

/** Findings of the other families: each rated by its own documented rule (`exposure`). */
export function nonMembershipFindings(findings: readonly Finding[]): Array<ExtractionFinding | InversionFinding> {
  return findings.filter((f): f is ExtractionFinding | InversionFinding => !isMembershipFinding(f));
}
