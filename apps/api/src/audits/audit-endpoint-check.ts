import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { EngineError, EngineErrorCode } from '../../../../libs/engine/src/errors';
import { assertPublicDestination } from '../../../../libs/engine/src/targets/http/outbound-policy';
import type { ModelVersionRecord } from '../../../../libs/persistence/src/records';
import { ServiceError, ServiceErrorCode } from '../http/service-error';
import { ownershipState, serviceOutboundPolicy } from '../models/endpoint-registration';

/** What POST /audits checks of an endpoint version before anything is stored or queued. */
@Injectable()
export class AuditEndpointCheck {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * The audit's query budget: the one asked for or DEFAULT_QUERY_BUDGET, refused above MAX_QUERY_BUDGET (422).
   * A model file is not queried over the network: with extraction attacks a budget is what each extraction run may
   * send (the CLI's --query-budget for a file), else null (a budget for it is refused as meaningless).
   */
  queryBudgetOf(
    version: ModelVersionRecord,
    requested: number | undefined,
    extraction = false,
  ): Promise<number | null> {
    const max = this.config.MAX_QUERY_BUDGET;
    if (requested !== undefined && requested > max) {
      return Promise.reject(
        new ServiceError(
          ServiceErrorCode.QueryBudgetTooLarge,
          `queryBudget ${requested} is above the maximum of ${max} queries per audit (MAX_QUERY_BUDGET)`,
          { queryBudget: requested, maxQueryBudget: max },
        ),
      );
    }
    if (version.kind !== 'endpoint') {
      if (requested !== undefined && extraction) return Promise.resolve(requested);
      if (requested !== undefined) {
        return Promise.reject(
          new ServiceError(
            ServiceErrorCode.WrongModelVersionKind,
            `queryBudget applies to endpoint versions; model version ${version.version} is an uploaded file, which is run locally, not queried (with extraction attacks it is each extraction run's budget)`,
          ),
        );
      }
      return Promise.resolve(null);
    }
    return Promise.resolve(requested ?? this.config.DEFAULT_QUERY_BUDGET);
  }

  /**
   * The endpoint may be queried now: its destination still passes the outbound policy (resolved again: DNS
   * and the allow-list may have changed since registration) and a host that is not allow-listed has proved
   * ownership. Otherwise 422 with the reason, or with how to prove ownership.
   */
  async assertQueryable(version: ModelVersionRecord): Promise<void> {
    const policy = serviceOutboundPolicy(this.config.OUTBOUND_ALLOW_HOSTS);
    if (!version.endpoint) return;
    await assertPublicDestination(version.endpoint.url, policy);
    const ownership = ownershipState(version, policy);
    if (ownership && ownership.required && !ownership.verified) {
      throw new EngineError(
        EngineErrorCode.TargetOwnershipUnproven,
        `the owner of ${new URL(version.endpoint.url).origin} has not proved control of it: ${
          ownership.instructions ?? 'register the endpoint again to get an ownership token'
        }`,
      );
    }
  }
}
