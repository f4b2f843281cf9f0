// Four projects: unit (engine maths, validation; no services), integration (real Postgres + Redis),
// e2e (HTTP against the Nest app, real Postgres + Redis + worker), faults (the same, with processes killed or
// frozen and jobs lost). `npm test` (scripts/test.sh) provides DATABASE_URL / REDIS_URL for the last three.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const common = {
  transform: { '^.+\\.ts$': swc },
  testEnvironment: '<rootDir>/test/fixtures/onnxruntime-jest-environment.js',
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  // The fault suite's closing figures (scenarios passed, audits that ended exactly once) after the usual output.
  reporters: ['default', '<rootDir>/test/faults/support/faults-summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/unit/**/*.spec.ts'],
    },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.spec.ts'] },
    // Fault injection (kill -9, SIGSTOP, lost jobs) with real processes: `npm run test:faults`.
    { ...common, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.spec.ts'] },
  ],
};
