import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Prefix of the HMAC message, so a replica credential is never valid for anything else signed with the secret. */
const CONTEXT = 'warmpool-replica:';

/**
 * A replica's own credential: HMAC-SHA256 of its id under the load balancer's shared secret, base64url. The holder of
 * the secret (the daemon, the local provider) hands each replica its own; a replica can register, check and
 * deregister only its own id with it, never read the routing table or act for another replica.
 */
export function deriveReplicaToken(secret: string, replicaId: string): string {
  return createHmac('sha256', secret).update(`${CONTEXT}${replicaId}`).digest('base64url');
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 9110), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header ?? '');
  return m ? m[1] : undefined;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Who a request's token speaks for. */
export type Caller =
  | { readonly kind: 'admin' }
  | { readonly kind: 'replica'; readonly replicaId: string }
  | { readonly kind: 'none' };

/**
 * Checks tokens in constant time: the shared secret (admin: the daemon, operators, Prometheus) or a replica's derived
 * credential for the replica id the request is about.
 */
export class CredentialCheck {
  private readonly adminDigest: Buffer;

  constructor(private readonly secret: string) {
    this.adminDigest = digest(secret);
  }

  /** `replicaId`: the replica the request acts on, if any (a replica token is valid for that id only). */
  caller(authorization: string | undefined, replicaId?: string): Caller {
    const token = bearerToken(authorization);
    if (token === undefined) return { kind: 'none' };
    const d = digest(token);
    if (timingSafeEqual(d, this.adminDigest)) return { kind: 'admin' };
    if (replicaId !== undefined && timingSafeEqual(d, digest(deriveReplicaToken(this.secret, replicaId))))
      return { kind: 'replica', replicaId };
    return { kind: 'none' };
  }
}
