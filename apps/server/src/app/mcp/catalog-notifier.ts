import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { ToolCatalogService } from '@sanctum/discovery';
import type { CatalogChange } from '@sanctum/discovery';
import { SessionRegistry } from '@sanctum/sessions';
import { APP_LOGGER } from '../logging/logger';
import { StatelessProtocol } from './stateless-protocol.service';

/**
 * Tells clients that the tools changed after a reload of the plugin catalog: the 2026-07-28
 * `subscriptions/listen` streams that asked for tool changes. Sessions are told by SessionViews
 * (`notifications/tools/list_changed`), only those whose view of the catalog changed.
 */
@Injectable()
export class CatalogNotifier implements OnModuleInit, OnModuleDestroy {
  private subscription: Subscription | undefined;

  constructor(
    private readonly catalog: ToolCatalogService,
    private readonly sessions: SessionRegistry,
    private readonly stateless: StatelessProtocol,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
  ) {}

  onModuleInit(): void {
    this.subscription = this.catalog.changes$.subscribe((change) => this.announce(change));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private announce(change: CatalogChange): void {
    // The catalog emits inside its reload: an exception here would surface as an uncaught error
    // from RxJS, not as a failed reload.
    try {
      this.logger.log(
        `Plugin catalog changed: ${change.tools.length} tools; ${this.sessions.count()} sessions, notifying ${this.stateless.listenerCount} listen streams`,
        'Discovery',
      );
      this.stateless.announceToolsChanged();
    } catch (err) {
      this.logger.error(`Tools changed but clients could not all be told: ${(err as Error).message}`, 'Discovery');
    }
  }
}
