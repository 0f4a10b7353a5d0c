import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import type { HealthCheckResult, HealthIndicatorFunction } from '@nestjs/terminus';
import { SessionRegistry } from '@sanctum/sessions';
import { GatewayHealthIndicators } from './gateway.health';

export type GatewayHealth = { status: HealthCheckResult['status']; sessions: number } & Omit<HealthCheckResult, 'status'>;

/**
 * Health endpoints. Every body starts with the monitoring guide's shape (`status`, `sessions`),
 * Terminus details follow; a failing check answers 503 with the same shape.
 * - `/health`: sessions, plugin catalog and plugins folder (the guide's endpoint: a gateway whose
 *   plugins folder is missing serves none of its plugins, so its status is `error`);
 * - `/health/live`: the process answers (liveness);
 * - `/health/ready`: plugins discovered, plugins folder present, interpreter starts, not shutting
 *   down, and with MCP_REDIS_URL the shared session store answers.
 * With MCP_REDIS_URL, `sessions` and `info.sessions.open` count this instance's sessions (those
 * opened here), `info.sessions.allInstances` every live instance's (as of the last heartbeat).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: GatewayHealthIndicators,
    private readonly sessions: SessionRegistry,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<GatewayHealth> {
    return this.run([() => this.indicators.sessionsCheck(), () => this.indicators.pluginsCheck(), () => this.indicators.pluginsDirCheck()]);
  }

  @Get('live')
  @HealthCheck()
  live(): Promise<GatewayHealth> {
    return this.run([]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<GatewayHealth> {
    return this.run([
      () => this.indicators.lifecycleCheck(),
      () => this.indicators.pluginsCheck(),
      () => this.indicators.pluginsDirCheck(),
      () => this.indicators.interpreterCheck(),
      ...(this.indicators.hasSharedStore ? [() => this.indicators.sharedStoreCheck()] : []),
    ]);
  }

  private async run(checks: HealthIndicatorFunction[]): Promise<GatewayHealth> {
    try {
      return this.shape(await this.health.check(checks));
    } catch (err) {
      if (err instanceof ServiceUnavailableException) {
        throw new ServiceUnavailableException(this.shape(err.getResponse() as HealthCheckResult));
      }
      throw err;
    }
  }

  private shape(result: HealthCheckResult): GatewayHealth {
    const { status, ...rest } = result;
    return { status, sessions: this.sessions.count(), ...rest };
  }
}
