import { captureIo } from './cli-io';
import { createProgressReporter, formatProgressLine, progressStyleFor } from './progress-reporter';

describe('progress reporter', () => {
  it('formats plain lines with a right-aligned percentage', () => {
    expect(formatProgressLine({ phase: 'attack:membership.loss', fraction: 0.4 })).toBe(
      '[ 40%] attack:membership.loss',
    );
    expect(formatProgressLine({ phase: 'reference-models', fraction: 1, message: 'model 4/4' })).toBe(
      '[100%] reference-models model 4/4',
    );
    expect(formatProgressLine({ phase: 'load', fraction: 0 })).toBe('[  0%] load');
  });

  it('prints one line per phase or message change, not per tick', () => {
    const io = captureIo('/');
    const reporter = createProgressReporter(io, progressStyleFor(io, false));
    reporter.onProgress({ phase: 'load', fraction: 0 });
    reporter.onProgress({ phase: 'load', fraction: 0.05 });
    reporter.onProgress({ phase: 'train', fraction: 0.2, message: 'model 1/2' });
    reporter.onProgress({ phase: 'train', fraction: 0.3, message: 'model 2/2' });
    reporter.onProgress({ phase: 'train', fraction: 0.35 });
    reporter.onProgress({ phase: 'report', fraction: 0.9 });
    reporter.stop();
    expect(io.stderr.join('')).toBe('[  0%] load\n[ 20%] train model 1/2\n[ 30%] train model 2/2\n[ 90%] report\n');
  });

  it('--quiet prints nothing', () => {
    const io = captureIo('/');
    const reporter = createProgressReporter(io, progressStyleFor(io, true));
    reporter.onProgress({ phase: 'load', fraction: 0 });
    expect(io.stderr).toEqual([]);
  });
});
