// The artefacts of an audit's child are read defensively (the child ran an untrusted model): known kinds only,
// safe names, regular files (never through a link), within a size cap; each lands in the blob store by sha256.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemBlobStore } from '../../../libs/persistence/src/blob-store/filesystem-blob-store';
import { artifactKindOf, collectAuditArtifacts } from './audit-artifacts';
import { type AuditChildInput, auditInputFiles } from './audit-child-messages';

describe('collectAuditArtifacts', () => {
  let dir: string;
  let storeDir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'privaudit-artifacts-spec-'));
    storeDir = mkdtempSync(join(tmpdir(), 'privaudit-artifacts-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('stores the surrogate and reconstructions by sha256, and leaves out anything else', async () => {
    const onnx = Buffer.from('onnx bytes');
    writeFileSync(join(dir, 'surrogate.onnx'), onnx);
    writeFileSync(join(dir, 'miface-class-0.png'), Buffer.from([0x89, 0x50]));
    writeFileSync(join(dir, 'miface-class-0.csv'), 'a,b\n1,2\n');
    writeFileSync(join(dir, 'notes.txt'), 'not an artefact');
    writeFileSync(join(dir, '.hidden.csv'), 'x');
    symlinkSync('/etc/passwd', join(dir, 'linked.csv'));
    const blobs = new FilesystemBlobStore(storeDir);
    const { artifacts, skipped } = await collectAuditArtifacts(dir, blobs, 1_000_000);
    expect(artifacts.map((a) => [a.name, a.kind])).toEqual([
      ['miface-class-0.csv', 'reconstruction-csv'],
      ['miface-class-0.png', 'reconstruction-png'],
      ['surrogate.onnx', 'surrogate-onnx'],
    ]);
    const sha256 = createHash('sha256').update(onnx).digest('hex');
    expect(artifacts[2]).toMatchObject({ sha256, bytes: onnx.length, mediaType: 'application/octet-stream' });
    expect(readFileSync(blobs.localPath(sha256))).toEqual(onnx);
    expect(skipped).toHaveLength(3); // notes.txt, .hidden.csv, linked.csv (a link, not a regular file)
    expect(skipped.join(' ')).not.toContain('passwd');
  });

  it('names the files of a subdirectory <dir>-<file>, so every name is one URL path segment', async () => {
    mkdirSync(join(dir, 'class-3'));
    writeFileSync(join(dir, 'class-3', 'miface-0.png'), Buffer.from([1]));
    const { artifacts } = await collectAuditArtifacts(dir, new FilesystemBlobStore(storeDir), 100);
    expect(artifacts.map((a) => a.name)).toEqual(['class-3-miface-0.png']);
  });

  it('stops at the size cap, naming what it left out', async () => {
    writeFileSync(join(dir, 'a.csv'), 'x'.repeat(60));
    writeFileSync(join(dir, 'b.csv'), 'y'.repeat(60));
    const { artifacts, skipped } = await collectAuditArtifacts(dir, new FilesystemBlobStore(storeDir), 100);
    expect(artifacts.map((a) => a.name)).toEqual(['a.csv']);
    expect(skipped).toEqual([expect.stringMatching(/^b\.csv: over the 100 bytes/)]);
  });

  it('knows the kinds by extension', () => {
    expect(artifactKindOf('x.raw.csv')?.kind).toBe('reconstruction-csv');
    expect(artifactKindOf('x.png')?.mediaType).toBe('image/png');
    expect(artifactKindOf('x.json')).toBeUndefined();
  });
});

describe('the child may write its artefacts directory', () => {
  const input: AuditChildInput = {
    modelPath: '/blobs/model',
    members: { path: '/blobs/m', name: 'm.csv' },
    nonMembers: { path: '/blobs/n', name: 'n.csv' },
    labelColumn: 'y',
    seed: 0,
    maxModelBytes: 1,
    artifactsDir: '/tmp/artifacts',
  };
  it('when it runs the audit, not when it trains one reference model', () => {
    expect(auditInputFiles({ type: 'run', input }).writes).toEqual(['/tmp/artifacts']);
    expect(auditInputFiles({ type: 'train-reference', input: { audit: input, mode: 'offline', m: 0 } }).writes).toEqual(
      [],
    );
  });
});
