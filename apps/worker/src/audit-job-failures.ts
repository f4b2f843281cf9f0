/** Failures that retrying cannot fix: the audit is failed and the job ends (UnrecoverableError). */
export class FinalAuditFailure extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The worker is stopping with the job unfinished: it goes back to the queue for another worker. */
export class HandedBack extends Error {}
