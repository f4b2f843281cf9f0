import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { setScopeTenant } from '../../../../libs/persistence/src/tenancy/tenant-context';
import { ServiceError, ServiceErrorCode } from '../http/service-error';
import { ApiKeyService, AuthenticatedCaller } from './api-key.service';
import { epochReadFor, presentedKeyHash } from './request-key-facts';
import { looksLikeJwt, OidcTokenVerifier, TokenRefused } from './oidc-token-verifier';
import { INSTALLATION_ADMIN, PUBLIC_KEY, ROLES_KEY, type RouteRole } from './roles.decorator';

export type AuthenticatedRequest = IncomingMessage & { caller?: AuthenticatedCaller };

/**
 * Global guard: x-api-key (or Authorization: Bearer) must be a known, unrevoked, unexpired key, and the route must
 * name the roles that may call it (@Roles) or be @Public. Deny by default: a route with neither is refused.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiKeyService) private readonly apiKeys: ApiKeyService,
    @Inject(OidcTokenVerifier) private readonly tokens: OidcTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = presentedKey(req);
    if (!key)
      throw new ServiceError(
        ServiceErrorCode.Unauthenticated,
        'an API key is required (x-api-key header or Authorization: Bearer)',
      );
    const caller = looksLikeJwt(key)
      ? await this.tokenCaller(key)
      : // The key's hash and the key-change epoch as the rate limiter found them for this request, if it did.
        await this.apiKeys.authenticate(key, { keyHash: presentedKeyHash(req, key), epoch: epochReadFor(req) });
    if (!caller) throw new ServiceError(ServiceErrorCode.Unauthenticated, 'unknown, revoked or expired API key');
    req.caller = caller;
    // From here on the request acts for the key's tenant (TenantScopeMiddleware opened the scope): every
    // tenant-scoped query runs under row-level security for it.
    setScopeTenant(caller.tenantId);
    const allowed = this.reflector.getAllAndOverride<RouteRole[] | undefined>(ROLES_KEY, targets);
    if (!allowed) {
      throw new ServiceError(ServiceErrorCode.Forbidden, 'this route has no access rule, so no key may call it');
    }
    if (!allowed.includes(caller.role) && !(caller.installationAdmin && allowed.includes(INSTALLATION_ADMIN))) {
      throw new ServiceError(
        ServiceErrorCode.Forbidden,
        `role '${caller.role}' may not do this (needs one of: ${allowed.join(', ')})`,
      );
    }
    return true;
  }

  /** A bearer JWT (OIDC): verified by jose against the issuer's keys; 401 with the reason, 403 without a role. */
  private async tokenCaller(token: string): Promise<AuthenticatedCaller> {
    try {
      return await this.tokens.authenticate(token);
    } catch (e) {
      if (e instanceof TokenRefused)
        throw new ServiceError(e.noRole ? ServiceErrorCode.Forbidden : ServiceErrorCode.Unauthenticated, e.message);
      throw e;
    }
  }
}

function presentedKey(req: IncomingMessage): string | null {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const authorization = req.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length).trim();
  return null;
}
