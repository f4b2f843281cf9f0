// Key files named on the command line: `--sign-key <key.pem>` (Ed25519 private key, PKCS#8 PEM) and
// `--public-key <pub.pem>` (SPKI PEM). A missing or wrong file is an InputError naming the option and the file,
// never the key's bytes.
import type { KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parsePublicKey, parseSigningKey, ReportSignatureError } from '../../../libs/reports/src/index';
import type { CliIo } from './cli-io';
import { InputError } from './cli-errors';

const MAX_KEY_FILE_BYTES = 64 * 1024;

async function readKeyFile(option: string, typed: string, io: CliIo): Promise<Buffer> {
  const absolute = path.resolve(io.cwd, typed);
  const stat = await fs.stat(absolute).catch(() => undefined);
  if (!stat) throw new InputError(`${option}: file not found: ${typed}`);
  if (!stat.isFile() || stat.size > MAX_KEY_FILE_BYTES) throw new InputError(`${option}: ${typed} is not a key file`);
  return fs.readFile(absolute);
}

function asInputError(option: string, e: unknown): never {
  if (e instanceof ReportSignatureError) throw new InputError(`${option}: ${e.message}`);
  throw e;
}

export async function loadSigningKeyFile(option: string, typed: string, io: CliIo): Promise<KeyObject> {
  const pem = await readKeyFile(option, typed, io);
  try {
    return parseSigningKey(pem, typed);
  } catch (e) {
    return asInputError(option, e);
  }
}

export async function loadPublicKeyFile(option: string, typed: string, io: CliIo): Promise<KeyObject> {
  const pem = await readKeyFile(option, typed, io);
  try {
    return parsePublicKey(pem, typed);
  } catch (e) {
    return asInputError(option, e);
  }
}
