import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError } from '@warmpool/telemetry';
import type { ByteBudget } from './byte-budget.js';
import { OverloadedError } from './errors/overloaded-error.js';

/**
 * Reads a request body of at most `limitBytes`, taking every byte from the shared `budget` as it arrives (a declared
 * Content-Length is taken up front). Over the limit: BodyTooLargeError; the budget exhausted: OverloadedError. On
 * success the caller owns `body.length` bytes of the budget and gives them back when done; on failure nothing is
 * held.
 */
export async function readBodyWithin(req: IncomingMessage, limitBytes: number, budget: ByteBudget): Promise<Buffer> {
  const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
  if (declared !== undefined && Number.isFinite(declared) && declared > limitBytes)
    throw new BodyTooLargeError(`request body of ${declared} bytes is over ${limitBytes} bytes`);
  const upFront = declared !== undefined && Number.isInteger(declared) && declared > 0 ? declared : 0;
  if (upFront > 0 && !budget.tryTake(upFront)) {
    throw new OverloadedError(`request bodies in memory at the cap (${budget.capBytes} bytes); retry shortly`);
  }
  let taken = upFront;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      const c = chunk as Buffer;
      size += c.length;
      if (size > limitBytes) throw new BodyTooLargeError(`request body over ${limitBytes} bytes`);
      if (size > taken) {
        if (!budget.tryTake(size - taken))
          throw new OverloadedError(`request bodies in memory at the cap (${budget.capBytes} bytes); retry shortly`);
        taken = size;
      }
      chunks.push(c);
    }
  } catch (e) {
    budget.give(taken);
    throw e;
  }
  const body = Buffer.concat(chunks);
  if (taken > body.length) budget.give(taken - body.length);
  return body;
}
