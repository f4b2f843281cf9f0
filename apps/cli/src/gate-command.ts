// `privaudit gate --baseline <a.json> --candidate <b.json> [--max-rise <points>]`: the release gate a CI
// pipeline runs. It passes (exit 0) when the candidate's risk score rose by at most --max-rise points over
// the baseline's, and fails (exit 3, the reason on one line) otherwise. Scores are the audits' own risk.score
// (0-100, docs/risk-model.md); a fall in risk always passes.
import type { AuditReport } from '../../../libs/engine/src/types';
import type { CliIo } from './cli-io';
import { GateFailedError } from './cli-errors';
import { loadReportFile } from './report-command';

export const DEFAULT_MAX_RISE = 0;

export interface GateCommandOptions {
  readonly baseline: string;
  readonly candidate: string;
  /** Points on the 0-100 risk score; checked by the option parser. */
  readonly maxRise?: number;
}

export interface GateOutcome {
  readonly passed: boolean;
  readonly baselineScore: number;
  readonly candidateScore: number;
  readonly rise: number;
  readonly maxRise: number;
  /** One line: what changed and why the gate passed or failed. */
  readonly reason: string;
}

export function evaluateGate(baseline: AuditReport, candidate: AuditReport, maxRise: number): GateOutcome {
  const rise = candidate.risk.score - baseline.risk.score;
  const passed = rise <= maxRise;
  const change = `risk score ${baseline.risk.score} -> ${candidate.risk.score} (${rise >= 0 ? '+' : ''}${rise} points), rating ${baseline.risk.rating} -> ${candidate.risk.rating}`;
  const reason = passed
    ? `gate passed: ${change}; at most +${maxRise} allowed`
    : `gate failed: ${change}, more than the +${maxRise} allowed (candidate driven by: ${candidate.risk.rationale.split('. ')[0] ?? ''})`;
  return { passed, baselineScore: baseline.risk.score, candidateScore: candidate.risk.score, rise, maxRise, reason };
}

export async function runGateCommand(opts: GateCommandOptions, io: CliIo): Promise<GateOutcome> {
  const baseline = await loadReportFile('--baseline', opts.baseline, io);
  const candidate = await loadReportFile('--candidate', opts.candidate, io);
  const outcome = evaluateGate(baseline, candidate, opts.maxRise ?? DEFAULT_MAX_RISE);
  const attacksDiffer = baseline.config.attacks.join(',') !== candidate.config.attacks.join(',');
  if (attacksDiffer) {
    io.err(
      `privaudit: note: the audits ran different attacks (${baseline.config.attacks.join(',')} vs ${candidate.config.attacks.join(',')}); their scores are less comparable\n`,
    );
  }
  if (!outcome.passed) throw new GateFailedError(oneLine(outcome.reason));
  io.out(`${outcome.reason}\n`);
  return outcome;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}
