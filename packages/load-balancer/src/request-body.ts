import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError } from '@warmpool/telemetry';
import type { ByteBudget } from './byte-budget.js';
import { BodyTimeoutError } from './errors/body-timeout-error.js';
import { OverloadedError } from './errors/overloaded-error.js';

/**
 * Reads a request body of at most `limitBytes` within `timeoutMs`, taking each byte from the shared `budget` as it
 * arrives. A declared Content-Length over the limit is refused before reading, but never reserved up front: a client
 * that declares 16 MiB and sends one byte holds one byte, so a few stalled connections cannot fill the budget and shut
 * everyone else out. Over the limit: BodyTooLargeError; the budget exhausted: OverloadedError; not complete within
 * `timeoutMs` of the call: BodyTimeoutError (a trickled body cannot hold its bytes and its slot for minutes). On
 * success the caller owns `body.length` bytes of the budget and gives them back when done; on failure nothing is
 * held.
 */
export function readBodyWithin(
  req: IncomingMessage,
  limitBytes: number,
  budget: ByteBudget,
  timeoutMs = Number.POSITIVE_INFINITY,
): Promise<Buffer> {
  const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
  if (declared !== undefined && Number.isFinite(declared) && declared > limitBytes)
    return Promise.reject(new BodyTooLargeError(`request body of ${declared} bytes is over ${limitBytes} bytes`));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (e?: Error): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (e) {
        budget.give(size);
        chunks.length = 0;
        reject(e);
      } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (c: Buffer): void => {
      if (size + c.length > limitBytes) finish(new BodyTooLargeError(`request body over ${limitBytes} bytes`));
      else if (!budget.tryTake(c.length))
        finish(new OverloadedError(`request bodies in memory at the cap (${budget.capBytes} bytes); retry shortly`));
      else {
        size += c.length;
        chunks.push(c);
      }
    };
    const onEnd = (): void => finish();
    const onError = (e: Error): void => finish(e);
    const onClose = (): void => {
      if (!req.complete) finish(new Error('the client closed the connection before the body was complete'));
    };
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(
          () =>
            finish(
              new BodyTimeoutError(
                `request body not complete within ${timeoutMs} ms (${size} of ${declared ?? 'an undeclared number of'} bytes arrived)`,
              ),
            ),
          timeoutMs,
        )
      : undefined;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
