// Where a membership-inference finding sits in the frameworks a privacy officer answers to. The wording follows
// docs/risk-model.md ("Mapping to regulation and frameworks"); change both together.

export interface RegulatoryReference {
  readonly framework: string;
  readonly provision: string;
  readonly relevance: string;
}

export const MEMBERSHIP_REGULATORY_MAPPING: readonly RegulatoryReference[] = [
  {
    framework: 'GDPR',
    provision: 'Art. 35 (DPIA), 35(7)(c)-(d)',
    relevance:
      'A risk to data subjects\' rights: disclosure that a person\'s record was in the training data, itself often special-category information (e.g. "was a patient"), and the measures envisaged to address it. Attach this report to the DPIA.',
  },
  {
    framework: 'EU AI Act',
    provision: 'Art. 15(1), (5)',
    relevance:
      'Accuracy, robustness and cybersecurity of high-risk AI systems, including resilience against attempts to exploit vulnerabilities such as attacks on the confidentiality of training data.',
  },
  {
    framework: 'NIST AI RMF 1.0',
    provision: 'MEASURE 2.10',
    relevance:
      "Privacy risk of the AI system is examined and documented: this report's metrics and confidence intervals are that documentation.",
  },
  {
    framework: 'ISO/IEC 42001',
    provision: 'Clauses 6.1.2-6.1.3, 8.2-8.3, 9.1',
    relevance:
      'Evidence for the AI risk assessment and risk treatment; re-audits of each model version give the monitoring and measurement record.',
  },
  {
    framework: 'OWASP Machine Learning Security Top 10',
    provision: 'ML04: Membership Inference Attack',
    relevance: 'The attacks in this report are instances of ML04, measured against this model.',
  },
];

/** Added when the report holds inversion findings (docs/risk-model.md, the inversion rows). */
export const INVERSION_REGULATORY_MAPPING: readonly RegulatoryReference[] = [
  {
    framework: 'GDPR',
    provision: 'Art. 35(7)(c)-(d), Art. 9, Art. 5(1)(f)',
    relevance:
      "A risk of disclosing a data subject's attribute (often special-category data: health, sex life) or reconstructing a training record; the advantage over the model-free baseline is what the model adds to what the data already reveal.",
  },
  {
    framework: 'OWASP Machine Learning Security Top 10',
    provision: 'ML03: Model Inversion Attack',
    relevance: 'The inversion attacks in this report are instances of ML03, measured against this model.',
  },
];
