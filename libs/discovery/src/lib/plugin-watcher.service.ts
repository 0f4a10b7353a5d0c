import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { DEFAULT_WATCH_DEBOUNCE_MS, DISCOVERY_LOGGER, TOOL_DISCOVERY_OPTIONS } from './discovery.constants';
import { ToolCatalogService } from './tool-catalog.service';
import type { ToolDiscoveryModuleOptions } from './tool-discovery.module-definition';

/**
 * Hot reload: watches the plugins folder and, after a quiet period, rediscovers and rebuilds the
 * catalog (which announces a change on its `changes$`). Discovery is per plugin, so a broken edit
 * only removes that plugin's tools.
 */
@Injectable()
export class PluginWatcherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pluginsDir: string;
  private readonly enabled: boolean;
  private readonly debounceMs: number;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private pending = false;

  constructor(
    @Inject(TOOL_DISCOVERY_OPTIONS) options: ToolDiscoveryModuleOptions,
    private readonly catalog: ToolCatalogService,
    @Inject(DISCOVERY_LOGGER) private readonly logger: LoggerService,
  ) {
    this.pluginsDir = options.pluginsDir;
    this.enabled = options.watch ?? false;
    this.debounceMs = options.watchDebounceMs ?? DEFAULT_WATCH_DEBOUNCE_MS;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    try {
      this.watcher = watch(this.pluginsDir, { recursive: true }, (_event, file) => {
        if (typeof file === 'string' && /(^|\/)(__pycache__|\.)/.test(file)) return; // bytecode and dotfiles
        this.schedule();
      });
      this.watcher.on('error', (err) => this.logger.warn(`Plugin watcher stopped: ${err.message}`, 'Discovery'));
      this.watcher.unref();
    } catch (err) {
      this.logger.warn(`Not watching ${this.pluginsDir} for changes: ${(err as Error).message}`, 'Discovery');
    }
  }

  onApplicationShutdown(): void {
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * Reload now (also what the debounce timer does). Concurrent calls coalesce: a call during a
   * reload makes one more run after it, and resolves when that run is done.
   */
  async reloadNow(): Promise<void> {
    if (this.running) {
      this.pending = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.pending = false;
        try {
          await this.catalog.reload();
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
    this.timer = setTimeout(() => void this.reloadNow(), this.debounceMs);
    this.timer.unref();
  }
}
