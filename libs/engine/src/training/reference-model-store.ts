// Cache of trained reference models, so a re-audit of the same data trains nothing and a crashed run
// resumes with the models it had finished. The file store keeps one file per model: a JSON header
// (architecture and layer shapes) and the little-endian float32 weights, written to a temp file and
// renamed into place so a reader never sees half a model.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DenseLayerWeights, MlpArchitecture, MlpWeights } from './mlp';
import { EngineError, EngineErrorCode } from '../errors';

export interface ReferenceModelStore {
  get(key: string): Promise<MlpWeights | undefined>;
  put(key: string, weights: MlpWeights): Promise<void>;
}

const MAGIC = 'PAREFMLP';
const FORMAT_VERSION = 1;

interface StoredHeader {
  readonly version: number;
  readonly architecture: MlpArchitecture;
  readonly layers: ReadonlyArray<{ readonly inputs: number; readonly outputs: number }>;
}

export class FileReferenceModelStore implements ReferenceModelStore {
  constructor(private readonly directory: string) {}

  async get(key: string): Promise<MlpWeights | undefined> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.fileFor(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    // A damaged cache entry is a miss: the model is retrained and the entry rewritten.
    return decodeWeights(bytes);
  }

  async put(key: string, weights: MlpWeights): Promise<void> {
    await fs.mkdir(this.directory, { recursive: true });
    const target = this.fileFor(key);
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.writeFile(temp, encodeWeights(weights));
      await fs.rename(temp, target);
    } catch (e) {
      await fs.rm(temp, { force: true });
      throw e;
    }
  }

  private fileFor(key: string): string {
    if (!/^[0-9a-f]{16,128}$/.test(key)) {
      throw new EngineError(EngineErrorCode.InvalidOption, 'reference model cache keys are lower-case hex digests');
    }
    return path.join(this.directory, `${key}.mlp`);
  }
}

export function encodeWeights(weights: MlpWeights): Buffer {
  const header: StoredHeader = {
    version: FORMAT_VERSION,
    architecture: weights.architecture,
    layers: weights.layers.map((l) => ({ inputs: l.inputs, outputs: l.outputs })),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad the header so the float block starts on a 4-byte boundary.
  const headerLength = Math.ceil(json.length / 4) * 4;
  const nFloats = weights.layers.reduce((s, l) => s + l.weights.length + l.bias.length, 0);
  const out = Buffer.alloc(MAGIC.length + 4 + headerLength + nFloats * 4, 0x20);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(headerLength, MAGIC.length);
  json.copy(out, MAGIC.length + 4);
  let offset = MAGIC.length + 4 + headerLength;
  for (const layer of weights.layers) {
    for (const block of [layer.weights, layer.bias]) {
      for (const v of block) {
        out.writeFloatLE(v, offset);
        offset += 4;
      }
    }
  }
  return out;
}

export function decodeWeights(bytes: Buffer): MlpWeights | undefined {
  try {
    if (bytes.length < MAGIC.length + 4 || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
    const headerLength = bytes.readUInt32LE(MAGIC.length);
    const header = JSON.parse(
      bytes.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength),
    ) as StoredHeader;
    if (header.version !== FORMAT_VERSION) return undefined;
    let offset = MAGIC.length + 4 + headerLength;
    const read = (count: number): Float32Array => {
      if (offset + count * 4 > bytes.length) throw new RangeError('truncated');
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = bytes.readFloatLE(offset + i * 4);
      offset += count * 4;
      return values;
    };
    const layers: DenseLayerWeights[] = header.layers.map(({ inputs, outputs }) => ({
      inputs,
      outputs,
      weights: read(inputs * outputs),
      bias: read(outputs),
    }));
    if (offset !== bytes.length) return undefined;
    return { architecture: header.architecture, layers };
  } catch {
    return undefined;
  }
}
