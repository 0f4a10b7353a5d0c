import { Inject, Injectable, Optional } from '@nestjs/common';
import type { LoggerService, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { ToolCatalogService } from '@sanctum/discovery';
import type { CatalogChange } from '@sanctum/discovery';
import { JSONRPC_VERSION } from '@sanctum/protocol';
import { SessionBus, SessionRegistry } from '@sanctum/sessions';
import { filter } from 'rxjs';
import { APP_LOGGER } from '../logging/logger';
import { StatelessProtocol } from './stateless-protocol.service';

/**
 * Tells clients that the tools changed after a reload of the plugin catalog: the 2026-07-28
 * `subscriptions/listen` streams that asked for tool changes. Sessions are told by SessionViews
 * (`notifications/tools/list_changed`), only those whose view of the catalog changed. With
 * sessions shared through Redis, a change is announced to every instance, which tells the
 * sessions whose client listens through it.
 */
@Injectable()
export class CatalogNotifier implements OnModuleInit, OnModuleDestroy {
  private subscription: Subscription | undefined;

  constructor(
    private readonly catalog: ToolCatalogService,
    private readonly sessions: SessionRegistry,
    private readonly stateless: StatelessProtocol,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
    @Optional() @Inject(SessionBus) private readonly bus: SessionBus | null = null,
  ) {}

  onModuleInit(): void {
    this.subscription = this.catalog.changes$.subscribe((change) => this.announce(change));
    const bus = this.bus;
    if (bus !== null) {
      this.subscription.add(
        bus.events$.pipe(filter((event) => event.type === 'catalog')).subscribe(() => this.announceFromElsewhere()),
      );
    }
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /**
   * Another instance's catalog changed (each instance discovers its own plugins folder): the
   * sessions whose client listens through this instance, and its listen streams, are told too.
   */
  private announceFromElsewhere(): void {
    const sessions = this.sessions.listening();
    this.logger.log(
      `Plugin catalog changed on another instance; notifying ${sessions.length} sessions and ${this.stateless.listenerCount} listen streams here`,
      'Discovery',
    );
    for (const session of sessions) session.send({ jsonrpc: JSONRPC_VERSION, method: 'notifications/tools/list_changed' });
    this.stateless.announceToolsChanged();
  }

  private announce(change: CatalogChange): void {
    // A reload that changed only resources or prompts is ContentNotifier's to announce.
    if (!change.toolsChanged) return;
    // The catalog emits inside its reload: an exception here would surface as an uncaught error
    // from RxJS, not as a failed reload.
    try {
      this.logger.log(
        `Plugin catalog changed: ${change.tools.length} tools; ${this.sessions.count()} sessions, notifying ${this.stateless.listenerCount} listen streams`,
        'Discovery',
      );
      this.stateless.announceToolsChanged();
      this.bus?.publish({ type: 'catalog', from: this.bus.instanceId });
    } catch (err) {
      this.logger.error(`Tools changed but clients could not all be told: ${(err as Error).message}`, 'Discovery');
    }
  }
}
