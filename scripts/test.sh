#!/usr/bin/env bash
# The whole test suite: `npm test`. Builds dist/ (the worker forks compiled code; CLI tests run the real
# bin), runs the unit suite, then the integration and e2e suites one file at a time against real
# PostgreSQL and Redis, then the fault-injection suite (test/faults, also `npm run test:faults`) (scripts/test-services.js reuses DATABASE_URL/REDIS_URL or starts local ones).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.build.json
npx jest --ci --selectProjects unit
# --forceExit: a stray Redis/pg socket in a child-process harness must not hang CI; every suite closes what it opens.
node scripts/test-services.js -- npx jest --ci --runInBand --forceExit --selectProjects integration e2e
# Fault injection (workers killed and frozen, jobs lost from Redis): every audit must end in exactly one final state.
node scripts/test-services.js -- npx jest --ci --runInBand --forceExit --selectProjects faults
