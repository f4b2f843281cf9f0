// Severity of inversion findings, from documented thresholds (docs/risk-model.md holds the same tables).
//
// Attribute inference (Fredrikson et al. 2014; Mehnaz et al. 2022): recovering a sensitive value is a privacy
// harm only beyond what anyone can impute without the model, and only for the people in the training set beyond
// what the model does for strangers (that part is statistical inference from the population, not leakage of a
// record). So the evidence is the smaller of two lower bounds: the members' advantage over the model-free
// baseline, and the member-minus-non-member accuracy gap. Multiplicity: both bounds, over every finding of the
// audit, at 1 - 0.05 / (2 x findings) (Bonferroni).
//
// MI-Face (Fredrikson, Jha, Ristenpart 2015): a class representative that an independent classifier recognises
// says what the class looks like to the model (secondary, capped inside 'medium': for a class of many people it
// is the class's average, not a person); reconstructions systematically closer to training members than to
// non-members reveal training records (primary).

/** [evidence, exposure score] anchors, linear in between; scores 10 / 30 / 60 / 85 open low / medium / high / critical. */
export const ATTRIBUTE_LEAKAGE_ANCHORS: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [0.01, 10],
  [0.03, 30],
  [0.1, 60],
  [0.25, 85],
  [0.5, 100],
];

/** Recognisability lower bound above chance, as a share of what is left above chance: capped inside 'medium'. */
export const RECOGNISABILITY_ANCHORS: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [0.2, 10],
  [0.5, 30],
  [1, 59],
];

/** Lower bound on the share of classes reconstructed closer to members, above one half. */
export const CLOSER_TO_MEMBERS_ANCHORS: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [0.05, 10],
  [0.15, 30],
  [0.3, 60],
  [0.45, 85],
  [0.5, 100],
];

export const INVERSION_FAMILY_CONFIDENCE = 0.95;

/** Confidence of each bound when `bounds` bounds per finding are read over `attacksCompared` findings. */
export function inversionBoundConfidence(boundsPerFinding: number, attacksCompared = 1): number {
  return 1 - (1 - INVERSION_FAMILY_CONFIDENCE) / (boundsPerFinding * Math.max(1, Math.floor(attacksCompared)));
}

export function interpolateExposure(value: number, anchors: ReadonlyArray<readonly [number, number]>): number {
  const first = anchors[0] as readonly [number, number];
  if (!(value > first[0])) return first[1];
  for (let i = 1; i < anchors.length; i++) {
    const [x1, y1] = anchors[i] as readonly [number, number];
    const [x0, y0] = anchors[i - 1] as readonly [number, number];
    if (value <= x1) return y0 + ((y1 - y0) * (value - x0)) / (x1 - x0);
  }
  return (anchors[anchors.length - 1] as readonly [number, number])[1];
}
