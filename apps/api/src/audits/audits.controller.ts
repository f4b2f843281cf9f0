import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  StreamableFile,
} from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/api-key.guard';
import { DataDeletionService } from '../deletion/data-deletion.service';
import { ApiBody, ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { isEngineError } from '../../../../libs/engine/src/errors';
import { KNOWN_ATTACKS } from '../../../../libs/engine/src/membership/attack-registry';
import { KNOCKOFF_STRATEGIES } from '../../../../libs/engine/src/extraction/knockoff-attack';
import { parseOutputPolicy } from '../../../../libs/engine/src/targets/output-policy';
import type { AttackId } from '../../../../libs/engine/src/types';
import type { KeyObject } from 'node:crypto';
import { REPORT_SIGNING_KEY } from '../../../../libs/config/src/report-signing-key';
import { renderReportHtml, renderReportPdf, signDocument } from '../../../../libs/reports/src/index';
import { Roles, WRITERS, READERS } from '../auth/roles.decorator';
import { ServiceError, ServiceErrorCode } from '../http/service-error';
import { openApiSchema, ZodValidationPipe } from '../http/zod-validation.pipe';
import { AuditCommissionService } from './audit-commission.service';
import { AuditHistoryService } from './audit-history.service';
import { artifactResource, auditResource, findingResource } from './audit-resource';

export const commissionAuditSchema = z.object({
  modelVersionId: z.uuid(),
  membersDatasetId: z.uuid(),
  nonMembersDatasetId: z.uuid(),
  populationDatasetId: z.uuid().optional(),
  /** Every attack id the CLI's --attacks takes: membership.*, extraction.* and inversion.*. */
  attacks: z
    .array(z.enum(KNOWN_ATTACKS as [AttackId, ...AttackId[]]))
    .min(1)
    .optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  referenceModels: z.number().int().min(1).max(256).optional(),
  /** A sensitive column present in every dataset, not a model feature: findings are sliced by its values. */
  groupColumn: z.string().min(1).max(200).optional(),
  /**
   * How reference models are trained; train them like the target (LiRA compares the target with them).
   * Part of each reference model's cache key and of the estimate. Default: the engine's.
   */
  referenceTraining: z
    .strictObject({
      epochs: z.number().int().min(1).max(1000).optional(),
      learningRate: z.number().positive().max(1).optional(),
      batchSize: z.number().int().min(1).max(4096).optional(),
      l2: z.number().min(0).optional(),
    })
    .optional(),
  /**
   * Identical records (same features and label) under different ids: 'exclude' (default) leaves non-members
   * identical to a member out of the scoring and the reference pool, and population rows identical to an audited
   * record out of the population; 'keep' audits every row as given. Counted in the report either way.
   */
  duplicates: z.enum(['exclude', 'keep']).optional(),
  /**
   * Size of the target's training set when the members dataset holds only part of it: reference models train on
   * sets of this size. Default: the member count.
   */
  targetTrainSize: z.number().int().min(1).max(100_000_000).optional(),
  /** Class names in the model's output order, required when the label column holds strings. */
  classes: z
    .array(
      z
        .string()
        .min(1)
        .max(200)
        // CSV cells are trimmed when read: a padded name could never match a label.
        .refine((name) => name.trim() === name, 'class names have no leading or trailing spaces'),
    )
    .min(2)
    .max(1000)
    .refine((names) => new Set(names).size === names.length, 'class names must be unique')
    .optional(),
  /**
   * Audit as if the model's API answered less: 'labels' (predicted class only: the default attack becomes
   * membership.label-only and score attacks are refused), 'top-k:<k>' or 'round:<decimals>'.
   */
  outputPolicy: z
    .string()
    .max(50)
    .superRefine((text, ctx) => {
      try {
        parseOutputPolicy(text);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: isEngineError(e) ? e.message : 'invalid output policy' });
      }
    })
    .optional(),
  /**
   * Hidden layer widths of the reference models ([] = logistic regression). Part of their cache keys.
   * Default: mirrored from the target when it is a plain MLP, else one hidden layer of 64.
   */
  referenceHidden: z.array(z.number().int().min(1).max(4096)).max(8).optional(),
  /** Activation of the reference models' hidden layers; needs referenceHidden. Default relu. */
  referenceActivation: z.enum(['relu', 'tanh', 'sigmoid']).optional(),
  /**
   * Endpoint versions: the hard cap on queries (rows the endpoint answers) the audit may spend, across retries.
   * Default DEFAULT_QUERY_BUDGET; above MAX_QUERY_BUDGET the audit is refused with 422 before anything is stored.
   */
  queryBudget: z.number().int().min(1).optional(),
  // The options of the extraction and inversion attacks, named after the CLI's flags (docs/cli.md).
  /** --query-price: price of one query, for the attacker-cost figures of extraction findings (any currency). */
  queryPrice: z.number().min(0).max(1e12).optional(),
  /** --extraction-what-if: re-run each extraction attack as if the API answered top-1, top-3, rounded or labels. */
  extractionWhatIf: z.boolean().optional(),
  /** --knockoff-strategy: extraction.knockoff's natural queries, 'random' (default) or 'adaptive' (the bandit). */
  knockoffStrategy: z.enum(KNOCKOFF_STRATEGIES as ['random', 'adaptive']).optional(),
  /**
   * --sensitive-column: inversion.attribute's sensitive column (a raw column of the version's preprocessing spec, or a
   * model input column). Checked against the spec and the data at commission: 422 naming sensitiveColumn.
   */
  sensitiveColumn: z.string().min(1).max(200).optional(),
  /** --inversion-queries: the most rows the inversion attacks may send the target (one row = one query). */
  inversionQueries: z.number().int().min(1).max(100_000_000).optional(),
  /**
   * --pseudonymize-ids: every row id in the findings and the report becomes "ps_" + 32 hex digits of
   * HMAC-SHA256(tenant key, id) (PUT/POST /tenants/current/pseudonym-key). Default: the tenant's
   * pseudonymizeByDefault; true without a tenant key is a 422 PSEUDONYM_KEY_MISSING.
   */
  pseudonymizeIds: z.boolean().optional(),
});

@ApiTags('audits')
@ApiSecurity('api-key')
@Controller('audits')
export class AuditsController {
  constructor(
    @Inject(AuditCommissionService) private readonly audits: AuditCommissionService,
    @Inject(AuditHistoryService) private readonly history: AuditHistoryService,
    @Inject(REPORT_SIGNING_KEY) private readonly signingKey: KeyObject | null,
    @Inject(DataDeletionService) private readonly deletions: DataDeletionService,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles(...WRITERS)
  @ApiOperation({
    summary:
      'Commission an audit of a model version: membership inference, model extraction, model inversion (409 if one is already queued or running)',
    description:
      'The response carries `estimate` {modelsTotal, modelsToTrain, modelsCached, estimatedSeconds}: reference models the attacks need, ' +
      'those not yet stored (one job each), and the estimated training time. Over MAX_REFERENCE_SECONDS the audit is refused with 422 BUDGET_EXCEEDED and nothing is queued.',
  })
  @ApiBody({ schema: openApiSchema(commissionAuditSchema) })
  async commission(@Body(new ZodValidationPipe(commissionAuditSchema)) body: z.infer<typeof commissionAuditSchema>) {
    const audit = await this.audits.commission(body);
    return auditResource(audit, await this.audits.referenceModelProgress(audit));
  }

  @Delete(':id')
  @Roles(...WRITERS)
  @ApiOperation({
    summary: 'Delete a finished audit with its findings and report; answers the deletion receipt (409 while active)',
  })
  delete(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: AuthenticatedRequest) {
    return this.deletions.deleteAudit(id, req.caller?.keyId ?? null);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({ summary: 'Audit status, progress, phase, failure reason and risk score' })
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    const audit = await this.audits.get(id);
    return auditResource(audit, await this.audits.referenceModelProgress(audit), await this.history.gate(audit));
  }

  @Get(':id/diff')
  @Roles(...READERS)
  @ApiOperation({
    summary:
      'What changed since the previous succeeded audit of the same model: risk score and rating, new / resolved findings, per-finding metric changes with intervals and significance, newly exposed row ids. {previousAuditId: null} for the first audit; 409 until it succeeded',
  })
  async diff(@Param('id', new ParseUUIDPipe()) id: string) {
    return (await this.history.diff(id)) ?? { auditId: id, previousAuditId: null };
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles(...WRITERS)
  async cancel(@Param('id', new ParseUUIDPipe()) id: string) {
    return auditResource(await this.audits.cancel(id));
  }

  @Get(':id/findings')
  @Roles(...READERS)
  @ApiOperation({ summary: 'Findings per attack: severity, aggregate metrics, most exposed row ids' })
  async findings(@Param('id', new ParseUUIDPipe()) id: string) {
    return (await this.audits.findings(id)).map(findingResource);
  }

  @Get(':id/report')
  @Roles(...READERS)
  @ApiOperation({ summary: 'The audit report JSON (schemaVersion 1)' })
  report(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.audits.report(id);
  }

  @Get(':id/artifacts')
  @Roles(...READERS)
  @ApiOperation({
    summary:
      'Files the audit produced: the extraction surrogate (surrogate.onnx) and MI-Face reconstructions (CSV, PNG for image-shaped inputs): name, kind, mediaType, sha256, bytes. Empty until the audit has succeeded',
  })
  async artifacts(@Param('id', new ParseUUIDPipe()) id: string) {
    return (await this.audits.artifacts(id)).map(artifactResource);
  }

  // A surrogate is a working copy of the audited model and a reconstruction may resemble training records: only the
  // roles that may commission audits download them (an auditor reads the list, their hashes and the report).
  @Get(':id/artifacts/:name')
  @Roles(...WRITERS)
  @ApiOperation({
    summary: 'Download one artefact of the audit (admin and privacy officer only); 404 for an unknown name',
  })
  @ApiProduces('application/octet-stream', 'image/png', 'text/csv')
  @Header('X-Content-Type-Options', 'nosniff')
  async artifact(@Param('id', new ParseUUIDPipe()) id: string, @Param('name') name: string): Promise<StreamableFile> {
    const { artifact, stream } = await this.audits.openArtifact(id, name);
    return new StreamableFile(stream, {
      type: artifact.mediaType,
      disposition: `attachment; filename="${artifact.name}"`,
      length: artifact.bytes,
    });
  }

  // The documents a privacy officer files, rendered on request from the stored report JSON (the same bytes
  // for the same report: libs/reports is deterministic). Same roles as the JSON: every valid key may read.
  @Get(':id/report.pdf')
  @Roles(...READERS)
  @ApiOperation({ summary: 'The audit report as PDF (409 AUDIT_NOT_FINISHED until the audit has succeeded)' })
  @ApiProduces('application/pdf')
  async reportPdf(@Param('id', new ParseUUIDPipe()) id: string): Promise<StreamableFile> {
    const pdf = await renderReportPdf(await this.audits.report(id));
    return new StreamableFile(pdf, {
      type: 'application/pdf',
      disposition: `inline; filename="privaudit-audit-${id}.pdf"`,
      length: pdf.length,
    });
  }

  @Get(':id/report.html')
  @Roles(...READERS)
  @ApiOperation({ summary: 'The audit report as one self-contained HTML page (409 until the audit has succeeded)' })
  @ApiProduces('text/html')
  // The page needs nothing but its inline styles and SVG: a browser runs no script and loads nothing from it.
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
  @Header('X-Content-Type-Options', 'nosniff')
  async reportHtml(@Param('id', new ParseUUIDPipe()) id: string): Promise<StreamableFile> {
    const html = Buffer.from(await renderReportHtml(await this.audits.report(id)), 'utf8');
    return new StreamableFile(html, { type: 'text/html; charset=utf-8', length: html.length });
  }

  // Detached signatures of the documents above: the rendering is deterministic, so the signature made here over
  // a fresh rendering is the signature of the bytes the .pdf/.html routes serve. `privaudit verify` checks them.
  @Get(':id/report.pdf.sig')
  @Roles(...READERS)
  @ApiOperation({
    summary: 'Detached Ed25519 signature (JSON) of report.pdf; 404 SIGNING_NOT_CONFIGURED without a key',
  })
  async reportPdfSignature(@Param('id', new ParseUUIDPipe()) id: string) {
    const key = this.requireSigningKey();
    const report = await this.audits.report(id);
    return signDocument(await renderReportPdf(report), 'report.pdf', report, key);
  }

  @Get(':id/report.html.sig')
  @Roles(...READERS)
  @ApiOperation({ summary: 'Detached Ed25519 signature (JSON) of report.html' })
  async reportHtmlSignature(@Param('id', new ParseUUIDPipe()) id: string) {
    const key = this.requireSigningKey();
    const report = await this.audits.report(id);
    return signDocument(Buffer.from(await renderReportHtml(report), 'utf8'), 'report.html', report, key);
  }

  private requireSigningKey(): KeyObject {
    if (!this.signingKey) {
      throw new ServiceError(
        ServiceErrorCode.SigningNotConfigured,
        'this service signs no reports (REPORT_SIGNING_KEY_FILE is unset)',
      );
    }
    return this.signingKey;
  }
}
