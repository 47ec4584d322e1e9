import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError } from '@warmpool/telemetry';

/**
 * Reads a request body of at most `limitBytes`. Over the limit (by Content-Length up front, or while reading) it
 * rejects with BodyTooLargeError at once and keeps discarding what the client still sends, so the 413 answer can go
 * out with `Connection: close` and the connection never hangs on an unread body.
 */
export function readBoundedBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    return Promise.reject(new BodyTooLargeError(`request body of ${declared} bytes is over the ${limitBytes}-byte limit`));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const onData = (chunk: Buffer) => {
      if (over) return; // discarded
      size += chunk.length;
      if (size > limitBytes) {
        over = true;
        chunks.length = 0;
        reject(new BodyTooLargeError(`request body over the ${limitBytes}-byte limit`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!over) resolve(Buffer.concat(chunks, size));
    });
    req.once('error', (e) => {
      if (!over) reject(e);
    });
    req.once('aborted', () => {
      if (!over) reject(new Error('client closed the connection before the body was complete'));
    });
  });
}
