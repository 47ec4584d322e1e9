import { request, type ClientRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isStaleKeepAliveReset } from '../src/index.js';

function fakeRequest(reusedSocket: boolean): ClientRequest {
  const req = request('http://127.0.0.1:9/', { method: 'GET' });
  req.on('error', () => {});
  req.destroy();
  Object.defineProperty(req, 'reusedSocket', { value: reusedSocket });
  return req;
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

describe('isStaleKeepAliveReset', () => {
  it('is true for ECONNRESET on a reused socket only', () => {
    expect(isStaleKeepAliveReset(fakeRequest(true), errno('ECONNRESET'))).toBe(true);
    expect(isStaleKeepAliveReset(fakeRequest(false), errno('ECONNRESET'))).toBe(false);
    expect(isStaleKeepAliveReset(fakeRequest(true), errno('ECONNREFUSED'))).toBe(false);
    expect(isStaleKeepAliveReset(fakeRequest(true), new Error('timed out'))).toBe(false);
  });
});
