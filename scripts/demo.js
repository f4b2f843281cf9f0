#!/usr/bin/env node
'use strict';
// `npm run demo [-- --seed 3 --workdir .demo]` = `privaudit demo ...`: splits the bundled digits data, trains a
// deliberately overfit model and audits it, offline. Runs the compiled CLI (`npm ci` builds it via prepare).
const path = require('path');
const fs = require('fs');

const entry = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('privaudit: error: not built yet; run `npm run build` first\n');
  process.exit(2);
}
require(entry)
  .main([process.argv[0], 'privaudit', 'demo', ...process.argv.slice(2)])
  .then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write('privaudit: error: ' + (err && err.message ? err.message : String(err)) + '\n');
      process.exit(1);
    },
  );
