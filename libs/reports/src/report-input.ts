// Reads a report JSON written by the CLI or the service before anything renders it: a file that is not a
// privaudit report, or one of another schema version, is refused with one sentence naming what is wrong.
// The schema checks what the renderers read and lets every other field through (fields are added freely).
import { z } from 'zod';
import type { AuditReport } from '../../engine/src/types';

export const SUPPORTED_SCHEMA_VERSION = 1;

export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
}

const interval = z.object({ lower: z.number(), upper: z.number() });
const byFpr = <T extends z.ZodType>(value: T) => z.object({ '0.001': value, '0.01': value });
const digest = z.object({ sha256: z.string(), rows: z.number() });

const sliceSchema = z.looseObject({
  value: z.string(),
  nMembers: z.number(),
  nNonMembers: z.number(),
  metrics: z
    .looseObject({ auc: z.number(), tpr: byFpr(z.number()), tprInterval: byFpr(interval), advantage: z.number() })
    .optional(),
  note: z.string().optional(),
});

/** Counts over shared bins (engine metrics/score-histogram.ts); optional: reports written before it lack it. */
const count = z.number().int().min(0);
const scoreHistogramSchema = z
  .looseObject({
    edges: z.array(z.number()).min(2),
    members: z.array(count),
    nonMembers: z.array(count),
    clampedBelow: count.optional(),
    clampedAbove: count.optional(),
    binning: z.enum(['uniform', 'quantile']).optional(),
  })
  .refine((h) => h.members.length === h.edges.length - 1 && h.nonMembers.length === h.edges.length - 1, {
    message: 'members and nonMembers need one count per bin (one fewer than edges)',
  })
  .refine((h) => h.edges.every((e, i) => i === 0 || e > (h.edges[i - 1] as number)), {
    message: 'edges must increase',
  });

const membershipFindingSchema = z.looseObject({
  kind: z.literal('membership').optional(),
  attack: z.string().min(1),
  severity: z.enum(['none', 'low', 'medium', 'high', 'critical']),
  reference: z.string(),
  summary: z.string(),
  metrics: z.looseObject({
    auc: z.number(),
    aucInterval: interval,
    tpr: byFpr(z.number()),
    tprInterval: byFpr(interval),
    fprInterval: byFpr(interval),
    operatingCounts: byFpr(z.object({ tp: z.number(), fp: z.number() })),
    balancedAccuracy: z.number(),
    balancedAccuracyInterval: interval,
    advantage: z.number(),
    epsilonLowerBound: z.number(),
    epsilonDelta: z.number(),
    epsilonNote: z.string(),
    rocPoints: z.array(z.tuple([z.number(), z.number()])),
    scoreHistogram: scoreHistogramSchema.optional(),
    nMembers: z.number(),
    nNonMembers: z.number(),
  }),
  mostExposed: z.array(
    z.looseObject({ rowId: z.string(), score: z.number(), rank: z.number(), privacyRisk: z.number().optional() }),
  ),
  slices: z.looseObject({ byClass: z.array(sliceSchema), byGroup: z.array(sliceSchema).optional() }).optional(),
});

/** MI-Face's synthesised picture of a class (drawn by reconstruction-grid.ts): pixels must fill the declared size. */
const MAX_IMAGE_PIXELS = 256 * 256;
const reconstructionImageSchema = z
  .object({
    width: z.number().int().min(1),
    height: z.number().int().min(1),
    channels: z.union([z.literal(1), z.literal(3)]),
    pixels: z.array(z.number().int().min(0).max(255)),
  })
  .refine((i) => i.width * i.height <= MAX_IMAGE_PIXELS, { message: `at most ${MAX_IMAGE_PIXELS} pixels` })
  .refine((i) => i.pixels.length === i.width * i.height * i.channels, {
    message: 'pixels must hold width x height x channels values',
  });

/** Extraction and inversion findings: rated by their own rule (`exposure`), metrics read generically. */
const familyFindingSchema = z.looseObject({
  kind: z.enum(['extraction', 'inversion']),
  attack: z.string().min(1),
  severity: z.enum(['none', 'low', 'medium', 'high', 'critical']),
  reference: z.string(),
  summary: z.string(),
  metrics: z.looseObject({
    reconstructions: z.array(z.looseObject({ image: reconstructionImageSchema.optional() })).optional(),
  }),
  exposure: z.looseObject({ score: z.number().min(0).max(100), rationale: z.string() }),
});

// A finding without `kind` (reports written before extraction existed) is a membership finding.
const findingSchema = z.unknown().pipe(
  z.custom<unknown>().transform((value, ctx) => {
    const kind = (value as { kind?: unknown } | null)?.kind;
    const schema = kind === 'extraction' || kind === 'inversion' ? familyFindingSchema : membershipFindingSchema;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: issue.path });
      return z.NEVER;
    }
    return parsed.data;
  }),
);

const reportSchema = z.looseObject({
  schemaVersion: z.literal(SUPPORTED_SCHEMA_VERSION),
  tool: z.looseObject({ name: z.literal('privaudit'), version: z.string() }),
  createdAt: z.iso.datetime({ offset: true }),
  target: z.looseObject({
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex'),
    format: z.string(),
    nFeatures: z.number(),
    numClasses: z.number(),
    outputKind: z.string(),
  }),
  data: z.looseObject({
    members: digest,
    nonMembers: digest,
    population: digest.optional(),
    labelColumn: z.string(),
  }),
  config: z.looseObject({ attacks: z.array(z.string()), seed: z.number(), referenceModels: z.number() }),
  findings: z.array(findingSchema),
  risk: z.looseObject({
    score: z.number().min(0).max(100),
    rating: z.enum(['low', 'medium', 'high', 'critical']),
    rationale: z.string(),
  }),
});

/**
 * The report in `json` (already parsed), checked. `source` names it in the error ("report.json").
 * Throws ReportInputError with one line: not an object, no schemaVersion, another version, or the first
 * field that does not fit.
 */
export function parseAuditReport(json: unknown, source: string): AuditReport {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ReportInputError(`${source} is not a privaudit report: expected a JSON object`);
  }
  const version = (json as { schemaVersion?: unknown }).schemaVersion;
  if (version === undefined) {
    throw new ReportInputError(`${source} is not a privaudit report: it has no schemaVersion`);
  }
  if (version !== SUPPORTED_SCHEMA_VERSION) {
    throw new ReportInputError(
      `${source} has schemaVersion ${JSON.stringify(version)}; this privaudit reads schemaVersion ${SUPPORTED_SCHEMA_VERSION}`,
    );
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'the report';
    throw new ReportInputError(`${source} is not a privaudit report: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  // The schema covers every field the renderers read; the rest passes through as written.
  return json as AuditReport;
}

/** parseAuditReport over the text of a file; malformed JSON is refused the same way. */
export function parseAuditReportText(text: string, source: string): AuditReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ReportInputError(`${source} is not JSON: ${(e as Error).message}`);
  }
  return parseAuditReport(json, source);
}
