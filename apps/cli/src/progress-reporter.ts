// Audit progress on stderr: a redrawn bar on a terminal, one plain line per phase change elsewhere (CI logs
// and pipes must not fill with carriage returns), nothing with --quiet.
import { SingleBar } from 'cli-progress';
import type { ProgressEvent, ProgressListener } from '../../../libs/engine/src/types';
import type { CliIo } from './cli-io';

export interface ProgressReporter {
  readonly onProgress: ProgressListener;
  /** Removes the bar (if any) so the results print on a clean line. Safe to call twice. */
  stop(): void;
}

export type ProgressStyle = 'bar' | 'lines' | 'none';

export function progressStyleFor(io: CliIo, quiet: boolean): ProgressStyle {
  if (quiet) return 'none';
  return io.terminal ? 'bar' : 'lines';
}

export function createProgressReporter(io: CliIo, style: ProgressStyle): ProgressReporter {
  switch (style) {
    case 'none':
      return { onProgress: () => undefined, stop: () => undefined };
    case 'lines':
      return lineReporter(io);
    case 'bar':
      return io.terminal ? barReporter(io.terminal) : lineReporter(io);
  }
}

export function percent(fraction: number): number {
  return Math.round(Math.min(1, Math.max(0, fraction)) * 100);
}

/** `[ 40%] attack:membership.lira reference model 3/8` */
export function formatProgressLine(event: ProgressEvent): string {
  const pct = String(percent(event.fraction)).padStart(3, ' ');
  return event.message ? `[${pct}%] ${event.phase} ${event.message}` : `[${pct}%] ${event.phase}`;
}

function lineReporter(io: CliIo): ProgressReporter {
  let lastPhase: string | undefined;
  let lastMessage: string | undefined;
  return {
    onProgress: (event) => {
      // Printed when the phase changes or says something new, not on every fraction tick.
      const samePhase = event.phase === lastPhase;
      if (samePhase && (event.message === undefined || event.message === lastMessage)) return;
      lastPhase = event.phase;
      lastMessage = event.message;
      io.err(`${formatProgressLine(event)}\n`);
    },
    stop: () => undefined,
  };
}

function barReporter(terminal: NodeJS.WriteStream): ProgressReporter {
  const bar = new SingleBar({
    stream: terminal,
    format: '{bar} {percentage}% | {duration_formatted} | {phase} {detail}',
    barsize: 30,
    hideCursor: true,
    clearOnComplete: true,
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
  });
  let started = false;
  let stopped = false;
  return {
    onProgress: (event) => {
      if (stopped) return;
      const payload = { phase: event.phase, detail: event.message ?? '' };
      if (!started) {
        bar.start(100, percent(event.fraction), payload);
        started = true;
      } else {
        bar.update(percent(event.fraction), payload);
      }
    },
    stop: () => {
      if (started && !stopped) bar.stop();
      stopped = true;
    },
  };
}
