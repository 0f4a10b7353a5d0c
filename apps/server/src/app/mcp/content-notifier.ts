import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { ToolCatalogService } from '@sanctum/discovery';
import type { CatalogChange, ResourceUpdate } from '@sanctum/discovery';
import { JSONRPC_VERSION, Method } from '@sanctum/protocol';
import { SessionRegistry } from '@sanctum/sessions';
import { APP_LOGGER } from '../logging/logger';
import { ResourceSubscriptions } from './resource-subscriptions';
import { StatelessProtocol } from './stateless-protocol.service';

/**
 * Tells clients that resources or prompts changed after a reload of the plugin catalog:
 * `notifications/resources/list_changed` and `notifications/prompts/list_changed` to every session
(once, through the instance its client listens to),
 * `notifications/resources/updated` to the sessions subscribed to a URI whose file or plugin
 * changed, and the same to the 2026-07-28 `subscriptions/listen` streams that asked for them.
 */
@Injectable()
export class ContentNotifier implements OnModuleInit, OnModuleDestroy {
  private readonly subscription = new Subscription();

  constructor(
    private readonly catalog: ToolCatalogService,
    private readonly sessions: SessionRegistry,
    private readonly subscriptions: ResourceSubscriptions,
    private readonly stateless: StatelessProtocol,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
  ) {}

  onModuleInit(): void {
    this.subscription.add(this.catalog.changes$.subscribe((change) => this.listChanged(change)));
    this.subscription.add(this.catalog.resourceUpdates$.subscribe((update) => this.updated(update)));
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }

  // The catalog emits inside its reload: an exception here would surface as an uncaught error
  // from RxJS, not as a failed reload.
  private listChanged(change: CatalogChange): void {
    if (!change.resourcesChanged && !change.promptsChanged) return;
    try {
      const methods = [
        ...(change.resourcesChanged ? [Method.ResourcesListChanged] : []),
        ...(change.promptsChanged ? [Method.PromptsListChanged] : []),
      ];
      // Each session once, by the instance its client listens through (sessions may be shared).
      for (const session of this.sessions.listening()) {
        for (const method of methods) session.send({ jsonrpc: JSONRPC_VERSION, method });
      }
      this.stateless.announceContentChanged({ resources: change.resourcesChanged, prompts: change.promptsChanged });
    } catch (err) {
      this.logger.error(`Resources or prompts changed but clients could not all be told: ${(err as Error).message}`, 'Discovery');
    }
  }

  private updated(update: ResourceUpdate): void {
    try {
      this.logger.log(`Resources updated: ${[...update.uris, ...update.uriTemplates].join(', ')}`, 'Discovery');
      this.subscriptions.announce(update);
      this.stateless.announceResourceUpdate(update);
    } catch (err) {
      this.logger.error(`Resources were updated but subscribers could not all be told: ${(err as Error).message}`, 'Discovery');
    }
  }
}
