import { NestFactory } from '@nestjs/core';
import type { DynamicModule, INestApplication, LoggerService } from '@nestjs/common';
import { AppModule } from './app.module';
import type { AppConfig } from './config/config';

/** The MCP headers a browser client must be allowed to send and read. */
export const MCP_CORS_HEADERS = ['Content-Type', 'Accept', 'Authorization', 'X-API-Key', 'Mcp-Session-Id', 'MCP-Protocol-Version', 'Last-Event-ID'];

/** Build the Nest application (not yet listening). Shared by main.ts and the end-to-end tests. */
export async function createApp(config: AppConfig, logger: LoggerService, extensions: DynamicModule['imports'] = []): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config, logger, extensions), { bodyParser: false, logger, abortOnError: false });
  // JSON-RPC answers are never revalidated: skip Express's per-response SHA-1 ETag.
  app.getHttpAdapter().getInstance().set('etag', false);
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
      methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowedHeaders: MCP_CORS_HEADERS,
      exposedHeaders: ['Mcp-Session-Id', 'MCP-Protocol-Version', 'WWW-Authenticate'],
      maxAge: 600,
    });
  }
  return app;
}
