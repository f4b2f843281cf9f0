// A jest reporter: after a run that included the fault-injection suite (test/faults), prints the figures issue 11's
// closing note asks for: fault tests (scenarios) passed, and audits that ended in exactly one final state out of
// how many. Each fault file's afterAll appends its audit tally to the file named by PRIVAUDIT_FAULTS_TALLY
// (fault-harness.ts), which this reporter sets before any test runs; it prints nothing when no fault file ran.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const FAULTS_DIR = `${path.sep}test${path.sep}faults${path.sep}`;

class FaultsSummaryReporter {
  constructor() {
    this.tallyFile = path.join(os.tmpdir(), `privaudit-faults-tally-${process.pid}-${Date.now()}.jsonl`);
    process.env.PRIVAUDIT_FAULTS_TALLY = this.tallyFile;
  }

  onRunComplete(_contexts, results) {
    const files = results.testResults.filter((r) => r.testFilePath.includes(FAULTS_DIR));
    if (files.length === 0) return;
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const file of files) {
      for (const t of file.testResults) {
        if (t.status === 'passed') passed++;
        else if (t.status === 'failed') failed++;
        else skipped++;
      }
      // A file that failed before its tests ran (a beforeAll, a compile error) counts as one failed scenario.
      if (file.testExecError || (file.failureMessage && file.testResults.length === 0)) failed++;
    }
    let audits = 0;
    let endedOnce = 0;
    try {
      for (const line of fs.readFileSync(this.tallyFile, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const t = JSON.parse(line);
        audits += t.audits;
        endedOnce += t.endedOnce;
      }
      fs.rmSync(this.tallyFile, { force: true });
    } catch {
      // no fault file reached its afterAll
    }
    process.stderr.write(
      `\n[faults] fault scenarios (tests) passed: ${passed} of ${passed + failed}` +
        `${skipped > 0 ? ` (${skipped} skipped)` : ''}; ` +
        `audits that ended in exactly one final state: ${endedOnce} of ${audits}\n`,
    );
  }
}

module.exports = FaultsSummaryReporter;
