// Every route of every controller of the compiled api (dist/), read from Nest's own metadata in a plain Node
// process (Nest 12 is ES modules, which jest's loader cannot require), as route-access-rules.spec.ts does.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');

const SCRIPT = `
require('reflect-metadata');
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'ALL', 'OPTIONS', 'HEAD'];
const files = [];
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.controller.js')) files.push(p);
  }
})('./dist/apps/api/src');
const routes = [];
for (const file of files) {
  for (const exported of Object.values(require(join(process.cwd(), file)))) {
    if (typeof exported !== 'function' || Reflect.getMetadata('path', exported) === undefined) continue;
    for (const name of Object.getOwnPropertyNames(exported.prototype)) {
      const handler = exported.prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const method = Reflect.getMetadata('method', handler);
      if (method === undefined) continue;
      const path = ('/' + Reflect.getMetadata('path', exported) + '/' + Reflect.getMetadata('path', handler))
        .replace(/\\/+/g, '/').replace(/(.)\\/$/, '$1');
      routes.push(METHODS[method] + ' ' + path);
    }
  }
}
process.stdout.write(JSON.stringify(routes));
`;

/** "METHOD /path/:param" of every route, e.g. "GET /audits/:id/report.pdf". */
export function apiRoutes(): string[] {
  return JSON.parse(execFileSync(process.execPath, ['-e', SCRIPT], { cwd: ROOT, encoding: 'utf8' })) as string[];
}
