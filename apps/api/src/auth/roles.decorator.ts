import { SetMetadata } from '@nestjs/common';
import { ApiKeyRole } from '../../../../libs/persistence/src/records';

export const ROLES_KEY = 'privaudit:roles';
export const PUBLIC_KEY = 'privaudit:public';

/** Roles allowed on a route. Routes without @Roles are readable by every valid key (auditors included). */
export const Roles = (...roles: ApiKeyRole[]) => SetMetadata(ROLES_KEY, roles);
/** A route that needs no key (health check). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Roles that may change things: register models and data, commission and cancel audits. */
export const WRITERS = [ApiKeyRole.Admin, ApiKeyRole.PrivacyOfficer];
