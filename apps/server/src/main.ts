import 'reflect-metadata';
import { createApp } from './app/bootstrap';
import { ConfigError, loadConfig } from './app/config/config';
import type { AppConfig } from './app/config/config';
import { createLogger } from './app/logging/logger';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const app = await createApp(config, logger);
  await app.listen(config.port, config.host);
  const url = await app.getUrl();
  logger.log(`Sanctum MCP listening on ${url.replace('[::1]', 'localhost')} (SSE: /sse, health: /health)`, 'Main');
}

main().catch((err: unknown) => {
  process.stderr.write(`Sanctum MCP failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
