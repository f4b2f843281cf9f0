// The files an audit's child process wrote (the extraction surrogate, MI-Face reconstructions), moved into the blob
// store so the api can serve them (GET /audits/:id/artifacts). The child runs an untrusted model: its directory is
// read defensively (regular files only, known extensions, safe names, a size cap), never followed through links;
// files in subdirectories (two levels at most) are named <dir>-<file>.
import { createHash, randomUUID } from 'node:crypto';
import { copyFile, lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../../../libs/persistence/src/blob-store/blob-store';
import type { AuditArtifactKind } from '../../../libs/persistence/src/records';
import type { NewAuditArtifact } from '../../../libs/persistence/src/repositories/audit.repository';

/** Names a client may ask for in a URL path segment. */
export const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Kind and media type by file name; anything else the child wrote is not an artefact. */
export function artifactKindOf(name: string): { kind: AuditArtifactKind; mediaType: string } | undefined {
  if (name.endsWith('.onnx')) return { kind: 'surrogate-onnx', mediaType: 'application/octet-stream' };
  if (name.endsWith('.png')) return { kind: 'reconstruction-png', mediaType: 'image/png' };
  if (name.endsWith('.csv')) return { kind: 'reconstruction-csv', mediaType: 'text/csv; charset=utf-8' };
  return undefined;
}

export interface CollectedArtifacts {
  readonly artifacts: NewAuditArtifact[];
  /** Files left out (unknown kind, unsafe name, not a regular file, over the size cap), by reason. */
  readonly skipped: string[];
}

/** Regular files under `dir` (subdirectories up to MAX_DEPTH deep, never through a link), as [flat name, path]. */
async function artifactFiles(dir: string, prefix = '', depth = 0): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const entry of (await readdir(dir)).sort()) {
    const path = join(dir, entry);
    const stat = await lstat(path);
    // A subdirectory's files are named <dir>-<file>, so every name stays one URL path segment.
    if (stat.isDirectory() && depth < MAX_DEPTH)
      out.push(...(await artifactFiles(path, `${prefix}${entry}-`, depth + 1)));
    else out.push([`${prefix}${entry}`, path]);
  }
  return out;
}

const MAX_DEPTH = 2;

/** Stores every artefact file under `dir` in the blob store, in name order, within maxTotalBytes. */
export async function collectAuditArtifacts(
  dir: string,
  blobs: BlobStore,
  maxTotalBytes: number,
): Promise<CollectedArtifacts> {
  const artifacts: NewAuditArtifact[] = [];
  const skipped: string[] = [];
  const names = new Set<string>();
  let total = 0;
  for (const [name, path] of await artifactFiles(dir)) {
    const stat = await lstat(path);
    const kind = artifactKindOf(name);
    if (!stat.isFile() || !kind || !ARTIFACT_NAME.test(name) || names.has(name)) {
      skipped.push(`${ARTIFACT_NAME.test(name) ? name : '(unsafe name)'}: not an artefact`);
      continue;
    }
    if (total + stat.size > maxTotalBytes) {
      skipped.push(`${name}: over the ${maxTotalBytes} bytes the artefacts of one audit may take`);
      continue;
    }
    const bytes = await readFile(path);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    // Copied next to the store first: adopt is a rename, and the scratch directory may be on another filesystem.
    const staged = join(blobs.tempDir(), `artifact-${randomUUID()}`);
    try {
      await copyFile(path, staged);
      await blobs.adopt(staged, sha256);
    } finally {
      await rm(staged, { force: true });
    }
    total += bytes.length;
    names.add(name);
    artifacts.push({ name, ...kind, sha256, bytes: bytes.length });
  }
  return { artifacts, skipped };
}
