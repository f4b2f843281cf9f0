import { SetMetadata } from '@nestjs/common';
import { ApiKeyRole } from '../../../../libs/persistence/src/records';

export const ROLES_KEY = 'privaudit:roles';
export const PUBLIC_KEY = 'privaudit:public';

/**
 * Roles allowed on a route. Deny by default: a route with neither @Roles nor @Public is refused to every key
 * (api-key.guard.ts), and a unit test fails for any such route (route-access-rules.spec.ts).
 */
export const Roles = (...roles: RouteRole[]) => SetMetadata(ROLES_KEY, roles);

/**
 * The installation's admin: the bootstrap key (PRIVAUDIT_BOOTSTRAP_ADMIN_KEY), whatever its tenant role. Not an
 * ApiKeyRole: no key can be created with it (POST /api-keys), only the configured bootstrap key holds it.
 */
export const INSTALLATION_ADMIN = 'installation-admin' as const;
export type RouteRole = ApiKeyRole | typeof INSTALLATION_ADMIN;
/** A route that needs no key (health check). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Every role: reading models, datasets, audits and reports. */
export const READERS = [ApiKeyRole.Admin, ApiKeyRole.PrivacyOfficer, ApiKeyRole.Auditor];

/** Roles that may change things: register models and data, commission and cancel audits. */
export const WRITERS = [ApiKeyRole.Admin, ApiKeyRole.PrivacyOfficer];
