import { Injectable } from '@nestjs/common';
import { ToolCatalogService } from '@sanctum/discovery';
import type { ResourceUpdate } from '@sanctum/discovery';
import { JSONRPC_VERSION, Method, RpcError } from '@sanctum/protocol';
import type { Session } from '@sanctum/sessions';

/** The most URIs one session may subscribe to: each costs memory for as long as the session lives. */
export const MAX_SUBSCRIPTIONS_PER_SESSION = 1_000;

/**
 * resources/subscribe and resources/unsubscribe of the 2025 revisions: which session follows which
 * URI, and `notifications/resources/updated` through the session's own `send` (its stream) when
 * the catalog reports that the file or plugin behind a URI changed.
 */
@Injectable()
export class ResourceSubscriptions {
  /** Sessions with subscriptions; a closed session is dropped at the next subscribe or update. */
  private readonly bySession = new Map<Session, Set<string>>();

  constructor(private readonly catalog: ToolCatalogService) {}

  /** Sessions holding at least one subscription (for tests and logs). */
  get sessionCount(): number {
    this.prune();
    return this.bySession.size;
  }

  subscribe(session: Session, uri: string): void {
    this.prune();
    let uris = this.bySession.get(session);
    if (!uris) this.bySession.set(session, (uris = new Set()));
    if (!uris.has(uri) && uris.size >= MAX_SUBSCRIPTIONS_PER_SESSION) {
      throw RpcError.invalidParams(`this session already follows ${MAX_SUBSCRIPTIONS_PER_SESSION} resources; unsubscribe from some first.`);
    }
    uris.add(uri);
  }

  /** Unsubscribing from a URI the session does not follow is not an error (the result is the same). */
  unsubscribe(session: Session, uri: string): void {
    const uris = this.bySession.get(session);
    uris?.delete(uri);
    if (uris?.size === 0) this.bySession.delete(session);
  }

  /** Tell every session that follows an updated URI, once per URI. */
  announce(update: ResourceUpdate): void {
    this.prune();
    for (const [session, followed] of this.bySession) {
      for (const uri of followed) {
        if (this.catalog.affectedBy(update, uri)) session.send({ jsonrpc: JSONRPC_VERSION, method: Method.ResourceUpdated, params: { uri } });
      }
    }
  }

  private prune(): void {
    for (const session of this.bySession.keys()) if (session.closed) this.bySession.delete(session);
  }
}
