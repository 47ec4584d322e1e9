import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError } from '@warmpool/telemetry';
import { InferenceRequestError } from '../errors/inference-request-error.js';
import type { BodyBudget } from './body-budget.js';

/** A request body that did not arrive in full by its deadline: answered 408 `E_BODY_TIMEOUT`, connection closed. */
export class BodyTimeoutError extends Error {
  readonly code = 'E_BODY_TIMEOUT';
}

/**
 * Reads a request body of at most `limitBytes`, complete within `timeoutMs` (else BodyTimeoutError: a trickled body
 * cannot hold a socket and budget bytes for Node's 300 s request timeout). Over the limit (by Content-Length up front, or while reading) it
 * rejects with BodyTooLargeError at once and keeps discarding what the client still sends, so the 413 answer can go
 * out with `Connection: close` and the connection never hangs on an unread body.
 */
export function readBoundedBody(
  req: IncomingMessage,
  limitBytes: number,
  budget?: BodyBudget,
  timeoutMs = Number.POSITIVE_INFINITY,
): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    return Promise.reject(
      new BodyTooLargeError(`request body of ${declared} bytes is over the ${limitBytes}-byte limit`),
    );
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const stop = (e: Error) => {
      over = true;
      if (timer) clearTimeout(timer);
      chunks.length = 0;
      budget?.give(size);
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      if (over) return; // discarded
      if (size + chunk.length > limitBytes)
        return stop(new BodyTooLargeError(`request body over the ${limitBytes}-byte limit`));
      if (budget && !budget.take(chunk.length)) {
        return stop(
          new InferenceRequestError(
            'E_OVERLOADED',
            `request bodies being read hold the server's ${budget.maxBytes}-byte budget; retry shortly`,
          ),
        );
      }
      size += chunk.length;
      chunks.push(chunk);
    };
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          if (!over)
            stop(
              new BodyTimeoutError(
                `request body not complete within ${timeoutMs} ms (${size} of ${req.headers['content-length'] ?? 'an undeclared number of'} bytes arrived)`,
              ),
            );
        }, timeoutMs)
      : undefined;
    req.on('data', onData);
    req.once('end', () => {
      if (over) return;
      if (timer) clearTimeout(timer);
      budget?.give(size);
      resolve(Buffer.concat(chunks, size));
    });
    req.once('error', (e) => {
      if (!over) stop(e);
    });
    req.once('aborted', () => {
      if (!over) stop(new Error('client closed the connection before the body was complete'));
    });
  });
}
