#!/usr/bin/env bash
# The whole test suite: `npm test`. Builds dist/ (the worker forks compiled code; CLI tests run the real
# bin), runs the unit suite, then the integration and e2e suites one file at a time against real
# PostgreSQL and Redis, then the fault-injection suite (test/faults, also `npm run test:faults`) (scripts/test-services.js reuses DATABASE_URL/REDIS_URL or starts local ones).
set -euo pipefail
cd "$(dirname "$0")/.."
# The report tests read rendered PDFs with poppler (test/fixtures/pdf-text.ts): say so before anything runs.
for tool in pdftotext pdftoppm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "npm test: $tool not found; install poppler-utils (apt-get install -y poppler-utils; brew install poppler on macOS)" >&2
    exit 1
  fi
done
npx tsc -p tsconfig.build.json
npx jest --ci --selectProjects unit
# --forceExit: a stray Redis/pg socket in a child-process harness must not hang CI; every suite closes what it opens.
node scripts/test-services.js -- npx jest --ci --runInBand --forceExit --selectProjects integration e2e
# The tenant-scoped suites again with their tenant transactions on a login role of their own (DATABASE_TENANT_URL,
# as docker-compose deploys; docs/security.md, "Tenants"): the two-connection path through repositories, api and worker.
PRIVAUDIT_TEST_TENANT_LOGIN=1 node scripts/test-services.js -- npx jest --ci --runInBand --forceExit \
  --selectProjects integration e2e \
  --testPathPatterns 'tenant-isolation|audit-repository|reference-model-repository|data-key-rotation|data-lifecycle|service-flow|shared-reference-models|notifications|retention'
# Fault injection (workers killed and frozen, jobs lost from Redis): every audit must end in exactly one final state.
node scripts/test-services.js -- npx jest --ci --runInBand --forceExit --selectProjects faults
