import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { JSONRPC_VERSION } from '@sanctum/protocol';
import { SessionRegistry } from '@sanctum/sessions';
import { ModernEra } from './modern-era.service';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { APP_LOGGER } from '../logging/logger';
import { ToolCatalogService } from './tool-catalog.service';

/**
 * Hot reload: watches the plugins folder, and after a quiet period rediscovers, rebuilds the
 * catalog and tells every session `notifications/tools/list_changed` when the tools changed.
 * Discovery is per plugin, so a broken edit only removes that plugin's tools.
 */
@Injectable()
export class PluginWatcherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private pending = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly catalog: ToolCatalogService,
    private readonly sessions: SessionRegistry,
    private readonly modern: ModernEra,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.watchPlugins) return;
    try {
      this.watcher = watch(this.config.pluginsDir, { recursive: true }, (_event, file) => {
        if (typeof file === 'string' && /(^|\/)(__pycache__|\.)/.test(file)) return; // bytecode and dotfiles
        this.schedule();
      });
      this.watcher.on('error', (err) => this.logger.warn(`Plugin watcher stopped: ${err.message}`, 'Discovery'));
      this.watcher.unref();
    } catch (err) {
      this.logger.warn(`Not watching ${this.config.pluginsDir} for changes: ${(err as Error).message}`, 'Discovery');
    }
  }

  onApplicationShutdown(): void {
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
  }

  /** Reload now (also used by tests and by the debounce timer). Concurrent calls coalesce. */
  async reloadNow(): Promise<void> {
    if (this.running) {
      this.pending = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.pending = false;
        try {
          if (await this.catalog.reload()) this.announce();
        } catch (err) {
          this.logger.error(`Plugin reload failed; the previous catalog stays: ${(err as Error).message}`, 'Discovery');
        }
      } while (this.pending);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reloadNow(), this.config.watchDebounceMs);
    this.timer.unref();
  }

  private announce(): void {
    const tools = this.catalog.list().length;
    this.logger.log(
      `Plugin catalog changed: ${tools} tools; notifying ${this.sessions.count()} sessions and ${this.modern.listenerCount} listen streams`,
      'Discovery',
    );
    for (const session of this.sessions.all()) {
      session.send({ jsonrpc: JSONRPC_VERSION, method: 'notifications/tools/list_changed' });
    }
    this.modern.announceToolsChanged();
  }
}
