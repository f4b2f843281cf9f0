import { EngineErrorCode } from '../errors';
import { createMembershipAttack } from '../membership/attack-registry';
import { AUTO_REFERENCE_MAX_EPOCHS, estimateReferenceCost } from '../training/reference-model-provider';
import type { AttackId } from '../types';
import {
  assertReferenceBudget,
  describeReferenceCost,
  estimateAuditReferenceCost,
  referenceSetsFor,
  requestedReferenceArchitecture,
} from './reference-plan';

const attacks = (...ids: AttackId[]) => ids.map((id) => createMembershipAttack(id));
const signature = { nFeatures: 64, numClasses: 10 };

describe('reference plan', () => {
  it('needs one set per mode the attacks use, shared between attacks of the same mode', () => {
    expect(referenceSetsFor(attacks('membership.loss', 'membership.label-only'), 4)).toEqual([]);
    expect(referenceSetsFor(attacks('membership.rmia', 'membership.shadow', 'membership.lira-offline'), 4)).toEqual([
      { mode: 'offline', k: 4 },
    ]);
    expect(referenceSetsFor(attacks('membership.rmia', 'membership.lira'), 8)).toEqual([
      { mode: 'online', k: 8 },
      { mode: 'offline', k: 8 },
    ]);
  });

  it('prices models on sets of the target training-set size: online up to the pool, offline up to half the population', () => {
    const arch = { nFeatures: 64, hidden: [64], numClasses: 10, activation: 'relu' as const };
    const rows = { nPopulation: 400, nMembers: 300, nNonMembers: 300 };
    const sets = [
      { mode: 'online' as const, k: 4 },
      { mode: 'offline' as const, k: 2 },
    ];
    const cost = estimateAuditReferenceCost({ sets, signature, ...rows, epochs: 40, trainSize: 300 });
    // Online: 300 audited rows (half of 600) IN each model; offline: min(300, 400 / 2) population rows.
    const online = estimateReferenceCost({ k: 4, nRows: 1000, rowsPerModel: 300, architecture: arch, epochs: 40 });
    const offline = estimateReferenceCost({ k: 2, nRows: 400, rowsPerModel: 200, architecture: arch, epochs: 40 });
    expect(cost.modelsToTrain).toBe(6);
    expect(cost.estimatedSeconds).toBeCloseTo(online.estimatedSeconds + offline.estimatedSeconds, 9);
    expect(cost.sets).toEqual(sets);
    expect(cost.epochs).toBe(40);
    // A larger declared training set fills online models with population rows, up to the whole pool's share.
    const larger = estimateAuditReferenceCost({ sets: [sets[0]!], signature, ...rows, epochs: 40, trainSize: 500 });
    expect(larger.estimatedSeconds).toBeCloseTo(
      estimateReferenceCost({ k: 4, nRows: 1000, rowsPerModel: 500, architecture: arch, epochs: 40 }).estimatedSeconds,
      9,
    );
  });

  it("prices epochs 'auto' (the default) at its cap and says so", () => {
    const arch = { nFeatures: 64, hidden: [64], numClasses: 10, activation: 'relu' as const };
    const inputs = {
      sets: [{ mode: 'offline' as const, k: 2 }],
      signature,
      nPopulation: 400,
      nMembers: 1,
      nNonMembers: 1,
    };
    const auto = estimateAuditReferenceCost(inputs);
    expect(auto).toMatchObject({ epochs: 'auto', maxEpochs: AUTO_REFERENCE_MAX_EPOCHS });
    expect(auto.estimatedSeconds).toBeCloseTo(
      estimateReferenceCost({ k: 2, nRows: 400, architecture: arch, epochs: AUTO_REFERENCE_MAX_EPOCHS })
        .estimatedSeconds,
      9,
    );
    expect(describeReferenceCost(auto)).toContain(`at most ${AUTO_REFERENCE_MAX_EPOCHS}`);
  });

  it('prices the requested training epochs, not the default, when the request sets them', () => {
    const arch = { nFeatures: 64, hidden: [64], numClasses: 10, activation: 'relu' as const };
    const inputs = {
      sets: [{ mode: 'offline' as const, k: 2 }],
      signature,
      nPopulation: 400,
      nMembers: 1,
      nNonMembers: 1,
    };
    const fiveEpochs = estimateAuditReferenceCost({ ...inputs, epochs: 5 });
    expect(fiveEpochs.estimatedSeconds).toBeCloseTo(
      estimateReferenceCost({ k: 2, nRows: 400, architecture: arch, epochs: 5 }).estimatedSeconds,
      9,
    );
    expect(fiveEpochs.estimatedSeconds).toBeLessThan(estimateAuditReferenceCost(inputs).estimatedSeconds);
  });

  it('refuses over budget, and only then', () => {
    const cost = estimateAuditReferenceCost({
      sets: [{ mode: 'offline', k: 4 }],
      signature,
      nPopulation: 400,
      nMembers: 1,
      nNonMembers: 1,
    });
    expect(() => assertReferenceBudget(cost, undefined)).not.toThrow();
    expect(() => assertReferenceBudget(cost, cost.estimatedSeconds + 1)).not.toThrow();
    expect(() => assertReferenceBudget(cost, cost.estimatedSeconds / 2)).toThrow(
      expect.objectContaining({ code: EngineErrorCode.BudgetExceeded }),
    );
    const nothing = estimateAuditReferenceCost({ sets: [], signature, nPopulation: 0, nMembers: 1, nNonMembers: 1 });
    expect(() => assertReferenceBudget(nothing, 0)).not.toThrow();
  });

  it('takes a user-chosen reference architecture, validated, and prices it', () => {
    expect(requestedReferenceArchitecture({}, signature)).toBeUndefined();
    expect(
      requestedReferenceArchitecture({ referenceHidden: [128, 64], referenceActivation: 'tanh' }, signature),
    ).toEqual({ nFeatures: 64, hidden: [128, 64], numClasses: 10, activation: 'tanh' });
    expect(requestedReferenceArchitecture({ referenceHidden: [] }, signature)?.hidden).toEqual([]);
    expect(() => requestedReferenceArchitecture({ referenceActivation: 'tanh' }, signature)).toThrow(
      expect.objectContaining({ code: EngineErrorCode.InvalidOption }),
    );
    expect(() => requestedReferenceArchitecture({ referenceHidden: [0] }, signature)).toThrow(
      expect.objectContaining({ code: EngineErrorCode.InvalidOption }),
    );
    const rows = { nPopulation: 400, nMembers: 300, nNonMembers: 300, sets: [{ mode: 'offline' as const, k: 2 }] };
    const wide = requestedReferenceArchitecture({ referenceHidden: [512, 512] }, signature);
    expect(estimateAuditReferenceCost({ ...rows, signature, architecture: wide }).estimatedSeconds).toBeGreaterThan(
      estimateAuditReferenceCost({ ...rows, signature }).estimatedSeconds,
    );
  });
});
