import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { ServiceError, ServiceErrorCode } from './service-error';

export interface ReceivedUpload {
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
}

/**
 * Streams a raw request body to a temp file, hashing and counting as it goes. A declared Content-Length
 * over the limit is refused before a byte is read; a chunked body is cut off the moment it passes the
 * limit. The body is never buffered whole in memory.
 */
export function receiveUpload(
  req: IncomingMessage,
  opts: { limitBytes: number; tempDir: string; what: string; contentTypes: readonly string[] },
): Promise<ReceivedUpload> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!opts.contentTypes.includes(contentType)) {
    return Promise.reject(
      new ServiceError(
        ServiceErrorCode.UnsupportedMediaType,
        `send the ${opts.what} as the raw body with content-type ${opts.contentTypes.join(' or ')}`,
      ),
    );
  }
  const tooLarge = () =>
    new ServiceError(
      ServiceErrorCode.PayloadTooLarge,
      `${opts.what} is larger than the ${opts.limitBytes}-byte limit`,
      { limitBytes: opts.limitBytes },
    );
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > opts.limitBytes) return Promise.reject(tooLarge());

  const path = join(opts.tempDir, `upload-${randomUUID()}`);
  return new Promise<ReceivedUpload>((resolve, reject) => {
    const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    const hash = createHash('sha256');
    let size = 0;
    let settled = false;

    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      // Stop reading but keep the socket: the error response still has to go out on it.
      req.pause();
      out.destroy();
      void rm(path, { force: true }).finally(() => reject(err));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > opts.limitBytes) return fail(tooLarge());
      hash.update(chunk);
      if (!out.write(chunk)) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    };
    req.on('data', onData);
    req.on('end', () => {
      if (settled) return;
      out.end();
    });
    out.on('finish', () => {
      if (settled) return;
      settled = true;
      resolve({ path, sizeBytes: size, sha256: hash.digest('hex') });
    });
    req.on('aborted', () =>
      fail(new ServiceError(ServiceErrorCode.UploadAborted, `the ${opts.what} upload was interrupted`)),
    );
    req.on('error', (e) => fail(e));
    out.on('error', (e) => fail(e));
  });
}
