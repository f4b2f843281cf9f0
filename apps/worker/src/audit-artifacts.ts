// The files an audit's child process wrote (the extraction surrogate, MI-Face reconstructions), moved into the blob
// store so the api can serve them (GET /audits/:id/artifacts). The child runs an untrusted model: its directory is
// read defensively (regular files only, known extensions, safe names, a size cap), never followed through links.
import { createHash } from 'node:crypto';
import { copyFile, lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
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

/** Stores every artefact file of `dir` (top level) in the blob store, in name order, within maxTotalBytes. */
export async function collectAuditArtifacts(
  dir: string,
  blobs: BlobStore,
  maxTotalBytes: number,
): Promise<CollectedArtifacts> {
  const artifacts: NewAuditArtifact[] = [];
  const skipped: string[] = [];
  let total = 0;
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const path = join(dir, name);
    const stat = await lstat(path);
    const kind = artifactKindOf(name);
    if (!stat.isFile() || !kind || !ARTIFACT_NAME.test(name)) {
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
    artifacts.push({ name, ...kind, sha256, bytes: bytes.length });
  }
  return { artifacts, skipped };
}
