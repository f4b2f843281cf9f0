// libs/reports: a privaudit report JSON -> a document a privacy officer files (HTML and PDF, charts as SVG).
// No Nest, no database: the CLI and the api call these same functions.
export { parseAuditReport, parseAuditReportText, ReportInputError, SUPPORTED_SCHEMA_VERSION } from './report-input';
export { renderReportHtml } from './render-html';
export { renderReportPdf } from './render-pdf';
export {
  canonicalJson,
  parseDetachedSignature,
  parsePublicKey,
  parseSigningKey,
  publicKeyPem,
  reportContentSha256,
  ReportSignatureError,
  signDocument,
  signingKeyId,
  signReport,
  SIGNATURE_FILE_SUFFIX,
  verifyDocument,
  verifyReportJson,
} from './report-signature';
export type { DetachedDocumentSignature, EmbeddedReportSignature, VerifiedSignature } from './report-signature';
export { diffAuditReports, evaluateRiskGate } from './report-diff';
export type { AuditReportDiff, DiffableReport, FindingChange, MetricChange, RiskGateOutcome } from './report-diff';
