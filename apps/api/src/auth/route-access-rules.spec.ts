// Deny by default: every route of every controller must say who may call it (@Roles) or that anyone may
// (@Public). The guard refuses a route with neither; this test names such a route before it ships. Nest 12 is
// ES modules, which jest's loader cannot require, so the compiled controllers (dist/, built by `npm test`) are
// read in a plain Node process.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../../..');

// Nest's own metadata keys (@nestjs/common/constants): a controller's path, a handler's HTTP method.
const SCRIPT = `
require('reflect-metadata');
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const { PUBLIC_KEY, ROLES_KEY } = require('./dist/apps/api/src/auth/roles.decorator.js');
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
      if (Reflect.getMetadata('method', handler) === undefined) continue;
      const ruled = [handler, exported].some(
        (t) => Reflect.getMetadata(ROLES_KEY, t) !== undefined || Reflect.getMetadata(PUBLIC_KEY, t) === true,
      );
      routes.push({ route: exported.name + '.' + name, ruled });
    }
  }
}
process.stdout.write(JSON.stringify({ files: files.length, routes }));
`;

describe('route access rules (deny by default)', () => {
  it('gives every route of every controller @Roles or @Public', () => {
    const out = JSON.parse(execFileSync(process.execPath, ['-e', SCRIPT], { cwd: ROOT, encoding: 'utf8' })) as {
      files: number;
      routes: Array<{ route: string; ruled: boolean }>;
    };
    expect(out.files).toBeGreaterThanOrEqual(6);
    expect(out.routes.length).toBeGreaterThan(15);
    expect(out.routes.filter((r) => !r.ruled).map((r) => r.route)).toEqual([]);
  });
});
