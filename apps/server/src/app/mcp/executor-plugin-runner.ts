import { Injectable } from '@nestjs/common';
import { PluginRunner } from '@sanctum/discovery';
import type { PluginRunOutput } from '@sanctum/discovery';
import { ExecutorService } from '@sanctum/executor';

/** Discovery runs `--help` through the executor, like every other plugin process. */
@Injectable()
export class ExecutorPluginRunner extends PluginRunner {
  constructor(private readonly executor: ExecutorService) {
    super();
  }

  run(entryPath: string, cwd: string, args: readonly string[], timeoutMs: number): Promise<PluginRunOutput> {
    return this.executor.runEntry(entryPath, cwd, args, timeoutMs);
  }
}
