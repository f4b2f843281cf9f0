// Deny by default: every route of every controller must say who may call it (@Roles) or that anyone may
// (@Public). The guard refuses a route with neither; this test names such a route before it ships. The routes are
// read from the compiled controllers (dist/, built by `npm test`), as the tenant-isolation e2e suite reads them.
import { compiledApiRoutes } from '../../../../test/fixtures/api-routes';

describe('route access rules (deny by default)', () => {
  it('gives every route of every controller @Roles or @Public', () => {
    const { controllerFiles, routes } = compiledApiRoutes();
    expect(controllerFiles).toBeGreaterThanOrEqual(6);
    expect(routes.length).toBeGreaterThan(15);
    expect(routes.filter((r) => !r.ruled).map((r) => `${r.handler} (${r.route})`)).toEqual([]);
  });
});
