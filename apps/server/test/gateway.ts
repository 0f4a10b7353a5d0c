import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import * as winston from 'winston';
import { createApp } from '../src/app/bootstrap';
import { loadConfig } from '../src/app/config/config';
import { createLogger } from '../src/app/logging/logger';

export interface RunningGateway {
  app: INestApplication;
  baseUrl: string;
  port: number;
  /** Every log line the gateway wrote, as formatted for stdout. */
  logs: string[];
  close(): Promise<void>;
}

/** Start the real app on an ephemeral loopback port with the given environment. */
export async function startGateway(env: Record<string, string | undefined> = {}, extensions: DynamicModule['imports'] = []): Promise<RunningGateway> {
  const config = loadConfig({ MCP_HOST: '127.0.0.1', MCP_PORT: '0', MCP_DISCOVERY_CACHE: 'off', ...env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8').trimEnd());
      done();
    },
  });
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    silent: true,
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  const app = await createApp(config, logger, extensions);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    logs,
    close: () => app.close(),
  };
}

/** Poll until the predicate holds (for log lines and counters that follow an async event). */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
