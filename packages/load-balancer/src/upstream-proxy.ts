import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { isStaleKeepAliveReset, sendJson } from '@warmpool/telemetry';
import type { PoolReplica, ReplicaPool } from './replica-pool.js';

/** The client closed its connection before the replica answered: not the replica's failure. */
class ClientGone extends Error {}

/** What a client that went away before any answer is counted as (nginx's convention). */
export const CLIENT_CLOSED_STATUS = 499;

export interface UpstreamProxyOptions {
  /** Idle timeout of one proxied request, also while its answer streams. */
  readonly upstreamTimeoutMs: number;
  /**
   * Longest one proxied request may take in all, its answer streamed through included: a replica trickling a byte
   * now and then (never idle long enough for upstreamTimeoutMs) cannot hold a client and an in-flight slot forever.
   */
  readonly upstreamDeadlineMs: number;
  readonly nowMs: () => number;
  readonly log: (event: Record<string, unknown>) => void;
}

/**
 * Sends one inference request to a replica of the model and streams the answer back (never buffered: a replica's
 * 165 MB answer goes through at the client's pace). A refused connection or a 503 before any answer byte is tried once
 * on another replica; a replica whose connection fails is out of routing until its next good health check.
 */
export class UpstreamProxy {
  constructor(
    private readonly pool: ReplicaPool,
    private readonly opts: UpstreamProxyOptions,
  ) {}

  /** Answers `res`; resolves with the status sent. */
  async send(model: string, path: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<number> {
    const startedMs = performance.now();
    const tried = new Set<string>();
    let lastProblem = 'no replica registered and ready';
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = this.pool.pick(model, this.opts.nowMs(), tried);
      if (!r) break;
      tried.add(r.id);
      r.outstanding += 1;
      let up: IncomingMessage;
      try {
        up = await this.forward(r, path, req, body, res);
      } catch (e) {
        r.outstanding -= 1;
        if (e instanceof ClientGone) return CLIENT_CLOSED_STATUS; // its request to the replica is cancelled too
        r.failures += 1;
        r.ready = false; // the next health check brings it back if it recovers
        r.lastError = (e as Error).message;
        lastProblem = `replica ${r.id} at ${r.url}: ${(e as Error).message}`;
        continue;
      }
      const status = up.statusCode ?? 502;
      if (status === 503 && attempt === 0 && this.pool.pick(model, this.opts.nowMs(), tried)) {
        up.resume(); // discarded, not held
        r.outstanding -= 1;
        lastProblem = `replica ${r.id} answered 503`;
        continue;
      }
      const headers: OutgoingHttpHeaders = {
        'content-type': String(up.headers['content-type'] ?? 'application/json'),
        'x-warmpool-replica': r.id,
      };
      if (up.headers['content-length'] !== undefined) headers['content-length'] = up.headers['content-length'];
      if (up.headers['retry-after'] !== undefined) headers['retry-after'] = up.headers['retry-after'];
      res.writeHead(status, headers);
      const leftMs = Math.max(0, this.opts.upstreamDeadlineMs - (performance.now() - startedMs));
      const deadline = setTimeout(
        () =>
          up.destroy(new Error(`answer not complete within ${this.opts.upstreamDeadlineMs} ms (upstreamDeadlineMs)`)),
        leftMs,
      );
      try {
        await pipeline(up, res);
      } catch (e) {
        // The client went away or the replica stopped mid-answer: the response is cut (the client sees it).
        this.opts.log({ event: 'upstream-stream-cut', replicaId: r.id, model, detail: (e as Error).message });
      } finally {
        clearTimeout(deadline);
        r.outstanding -= 1;
      }
      return status;
    }
    sendJson(res, 503, { error: 'E_NO_REPLICA', message: `no ready replica for model ${model} (${lastProblem})` });
    return 503;
  }

  /**
   * One request to a replica; resolves once its answer's headers arrived (the body is left to stream). A keep-alive
   * socket the replica closed just as the request went out (ECONNRESET on a reused socket, before any answer) is not
   * the replica's failure: the request goes again once on a fresh connection (Node's documented `reusedSocket`
   * retry) instead of taking the replica out of rotation. A client that goes away before the answer cancels the
   * request to the replica (ClientGone), so a replica's slot is not held for nobody.
   */
  private forward(
    r: PoolReplica,
    path: string,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    retried = false,
  ): Promise<IncomingMessage> {
    if (req.socket.destroyed) return Promise.reject(new ClientGone('the client closed the connection'));
    return new Promise((resolve, reject) => {
      let answered = false;
      const onClientGone = (): void => void up.destroy(new ClientGone('the client closed the connection'));
      res.once('close', onClientGone);
      const up = httpRequest(
        `${r.url}${path}`,
        {
          method: 'POST',
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json', 'content-length': body.length },
          timeout: this.opts.upstreamTimeoutMs,
          ...(retried ? { agent: false } : {}), // the retry on a connection of its own, not another pooled one
        },
        (upRes) => {
          answered = true;
          res.off('close', onClientGone); // from here the answer's pipeline ends both sides
          resolve(upRes);
        },
      );
      up.on('timeout', () => up.destroy(new Error(`timed out after ${this.opts.upstreamTimeoutMs} ms`)));
      up.on('error', (e: NodeJS.ErrnoException) => {
        if (answered) return; // after the headers: the answer stream reports it
        res.off('close', onClientGone);
        if (e instanceof ClientGone) return reject(e);
        if (!retried && isStaleKeepAliveReset(up, e)) {
          this.opts.log({
            event: 'upstream-stale-socket',
            replicaId: r.id,
            model: r.model,
            detail: 'keep-alive connection closed by the replica; sent again on a new one',
          });
          this.forward(r, path, req, body, res, true).then(resolve, reject);
          return;
        }
        reject(new Error(e.code ?? e.message));
      });
      up.end(body);
    });
  }
}
