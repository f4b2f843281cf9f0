// Where the CLI writes. Commands take this instead of touching `process` so tests run them in-process and
// read exactly what a user would have seen.

export interface CliIo {
  /** Results: the findings table, the report path, `--json` output. */
  out(text: string): void;
  /** Progress and errors. */
  err(text: string): void;
  /** The terminal behind stderr when it is one: progress is drawn as a bar there, as plain lines otherwise. */
  readonly terminal?: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
  /** Relative paths in options resolve against this. */
  readonly cwd: string;
}

export function processIo(): CliIo {
  const out = writerThatSurvivesClosedPipe(process.stdout);
  const err = writerThatSurvivesClosedPipe(process.stderr);
  return {
    out,
    err,
    terminal: process.stderr.isTTY ? process.stderr : undefined,
    env: process.env,
    cwd: process.cwd(),
  };
}

/**
 * A reader that stops early (`privaudit audit --help | head -1`) closes the pipe, and the next write fails
 * with EPIPE, which Node raises as an unhandled 'error' event: a crash with a stack trace. Instead, output
 * to a closed pipe is dropped and the command ends as it would have, with its own exit code (0 for --help;
 * an audit still writes its report file). Any other stream error is left to crash, as before.
 */
export function writerThatSurvivesClosedPipe(stream: NodeJS.WritableStream): (text: string) => void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}

/** Captures output in memory (tests, and callers that want the text). */
export interface CapturedIo extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
}

export function captureIo(cwd: string, env: NodeJS.ProcessEnv = {}): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t), env, cwd };
}
