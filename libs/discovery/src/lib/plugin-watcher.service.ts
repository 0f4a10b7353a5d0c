import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { resolve } from 'node:path';
import { DEFAULT_WATCH_DEBOUNCE_MS, DISCOVERY_LOGGER, TOOL_DISCOVERY_OPTIONS } from './discovery.constants';
import { FolderWatch } from './folder-watch';
import { ToolCatalogService } from './tool-catalog.service';
import type { ToolDiscoveryModuleOptions } from './tool-discovery.module-definition';

/** Bytecode caches and dotfiles: their changes never change a plugin. */
const IGNORED = /(^|\/)(__pycache__|\.)/;

/**
 * Hot reload: watches the plugins folder and, after a quiet period, rediscovers and rebuilds the
 * catalog (which announces a change on its `changes$`). Discovery is per plugin, so a broken edit
 * only removes that plugin's tools. A plugins folder that does not exist yet is waited for: its
 * plugins are loaded when it is created, unloaded when it is removed, and loaded again when it
 * comes back, with no restart.
 */
@Injectable()
export class PluginWatcherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pluginsDir: string;
  private readonly enabled: boolean;
  private readonly debounceMs: number;
  private watcher: FolderWatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private pending = false;

  constructor(
    @Inject(TOOL_DISCOVERY_OPTIONS) options: ToolDiscoveryModuleOptions,
    private readonly catalog: ToolCatalogService,
    @Inject(DISCOVERY_LOGGER) private readonly logger: LoggerService,
  ) {
    this.pluginsDir = resolve(options.pluginsDir);
    this.enabled = options.watch ?? false;
    this.debounceMs = options.watchDebounceMs ?? DEFAULT_WATCH_DEBOUNCE_MS;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    const dir = this.pluginsDir;
    const watcher = new FolderWatch(
      dir,
      {
        changed: () => this.schedule(),
        appeared: () => {
          this.logger.log(`Plugins folder ${dir} appeared: loading its plugins`, 'Discovery');
          this.schedule();
        },
        vanished: () => {
          this.logger.warn(`Plugins folder ${dir} is gone: unloading its plugins, and watching for it to appear again`, 'Discovery');
          this.schedule();
        },
        failed: (err) => this.logger.warn(`Plugin watcher stopped: ${err.message}`, 'Discovery'),
      },
      (file) => IGNORED.test(file),
    );
    try {
      const state = watcher.start();
      this.watcher = watcher;
      if (state.watching === 'ancestor') {
        this.logger.warn(`Plugins folder ${dir} does not exist: watching ${state.ancestor} for it to appear`, 'Discovery');
      }
    } catch (err) {
      this.logger.warn(`Not watching ${dir} for changes: ${(err as Error).message}`, 'Discovery');
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
