import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import type { HealthCheckResult } from '@nestjs/terminus';
import { SessionRegistry } from '@sanctum/sessions';
import { GatewayHealthIndicators } from './gateway.health';

export type GatewayHealth = { status: HealthCheckResult['status']; sessions: number } & Omit<HealthCheckResult, 'status'>;

/**
 * `GET /health`: the monitoring guide's shape on top (`status`, `sessions`), Terminus details below.
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
  async check(): Promise<GatewayHealth> {
    try {
      const result = await this.health.check([() => this.indicators.sessionsCheck(), () => this.indicators.pluginsCheck()]);
      return this.shape(result);
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
