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
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    terminal: process.stderr.isTTY ? process.stderr : undefined,
    env: process.env,
    cwd: process.cwd(),
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
