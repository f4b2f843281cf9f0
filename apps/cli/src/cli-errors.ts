// How a failure becomes one stderr line and an exit code. 1 = the input or the model is wrong (or the audit
// failed), 2 = the command line is wrong, 3 = a gate failed, 4 = a signature or hash did not verify. Stack traces only with PRIVAUDIT_DEBUG=1: a user needs the message,
// a developer the trace.
import { isEngineError } from '../../../libs/engine/src/errors';
import type { CliIo } from './cli-io';

export const EXIT_OK = 0;
export const EXIT_INPUT_ERROR = 1;
export const EXIT_USAGE = 2;
/** `privaudit gate`: the candidate's risk rose beyond the allowed threshold (a CI pipeline blocks the release). */
export const EXIT_GATE_FAILED = 3;
/** `privaudit verify`: the signature or a hash does not match (the file was changed, or signed by another key). */
export const EXIT_VERIFY_FAILED = 4;
/** 128 + SIGINT, as shells report an interrupted command. */
export const EXIT_INTERRUPTED = 130;

/** The command line itself is wrong: a bad option value, a missing option, an unknown attack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** An input file cannot be used (missing, unreadable, too large) before the engine even sees it. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** The release gate did not pass; the message is the reason, on one line. */
export class GateFailedError extends Error {
  override readonly name = 'GateFailedError';
}

/** `privaudit verify` found the file tampered with, unsigned or signed by another key; the message is the reason. */
export class VerifyFailedError extends Error {
  override readonly name = 'VerifyFailedError';
}

export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof InterruptedError) return EXIT_INTERRUPTED;
  if (error instanceof GateFailedError) return EXIT_GATE_FAILED;
  if (error instanceof VerifyFailedError) return EXIT_VERIFY_FAILED;
  return EXIT_INPUT_ERROR;
}

/** Exactly one line on stderr, whatever the message holds. */
export function reportError(io: CliIo, error: unknown): number {
  // Duck-typed: errors thrown by Node's own modules may come from another realm (jest's vm contexts).
  const message = hasMessage(error) ? error.message : String(error);
  const oneLine = message.replace(/\s*[\r\n]+\s*/g, ' ').trim() || 'unknown error';
  io.err(`privaudit: error: ${oneLine}\n`);
  if (io.env.PRIVAUDIT_DEBUG === '1' && hasMessage(error) && typeof error.stack === 'string') {
    const code = isEngineError(error) ? ` [${error.code}]` : '';
    io.err(`${error.stack}${code}\n`);
  }
  return exitCodeFor(error);
}

function hasMessage(error: unknown): error is { message: string; stack?: unknown } {
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}
