import type { ClientRequest } from 'node:http';

/**
 * True when `error` on `request` is the keep-alive race: the server closed a pooled connection just as this request
 * went out on it (ECONNRESET on a reused socket, before any answer). Such a request never reached the server's
 * handler and may be sent again once on a fresh connection (Node's documented `reusedSocket` retry); it says nothing
 * about the server's health. The caller checks that no answer arrived yet.
 */
export function isStaleKeepAliveReset(request: ClientRequest, error: NodeJS.ErrnoException): boolean {
  return request.reusedSocket && error.code === 'ECONNRESET';
}
