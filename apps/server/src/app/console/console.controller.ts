import {
  BadRequestException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { json } from 'express';
import { isPlainObject, stringifyExact } from '@sanctum/protocol';
import { formatSseEvent } from '@sanctum/sessions';
import type {
  ChartSeries,
  ConsoleContent,
  ConsoleOverview,
  ConsolePlugins,
  ConsoleTool,
  LogLine,
  RecentCall,
  SessionList,
} from '@sanctum/console-api';
import { principalOf } from '../http/request-checks';
import type { GatewayRequest, GatewayResponse } from '../http/request-checks';
import { ConsoleAssets } from './console-assets';
import { ConsoleEvents } from './console-events';
import { ConsoleGuard, ConsoleToken } from './console.guard';
import { ConsoleService } from './console.service';
import { LogTail } from './log-tail';
import { MetricsHistory } from './metrics-history';
import { RecentCalls } from './recent-calls';

/** Largest "try it" request body: the arguments of one call. */
const TRY_BODY_LIMIT = '1mb';
const readJson = json({ limit: TRY_BODY_LIMIT, strict: true, type: () => true });

/** The console page's headers: its own files only, never framed by another site. */
const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/**
 * The operator console: its page and files at /console (no key needed: they hold no data), its
 * JSON API at /console/api/... and the live stream, behind ConsoleGuard (admin key, CSRF).
 */
@Controller('console')
export class ConsoleController {
  constructor(
    @Inject(ConsoleAssets) private readonly assets: ConsoleAssets,
    @Inject(ConsoleService) private readonly console: ConsoleService,
    @Inject(ConsoleToken) private readonly token: ConsoleToken,
    @Inject(RecentCalls) private readonly calls: RecentCalls,
    @Inject(LogTail) private readonly logs: LogTail,
    @Inject(MetricsHistory) private readonly history: MetricsHistory,
    @Inject(ConsoleEvents) private readonly events: ConsoleEvents,
  ) {}

  @Get()
  page(@Req() req: GatewayRequest, @Res() res: GatewayResponse): void {
    // The page's links are relative to /console: /console/ is sent there, keeping any prefix a proxy added.
    if ((req.url ?? '').split('?')[0].endsWith('/')) {
      res.writeHead(301, { Location: '../console' });
      res.end();
      return;
    }
    this.sendAsset(res, 'index.html');
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() res: GatewayResponse): void {
    this.sendAsset(res, file);
  }

  @UseGuards(ConsoleGuard)
  @Get('api/overview')
  async overview(@Res({ passthrough: true }) res: GatewayResponse): Promise<ConsoleOverview> {
    return {
      principal: principalOf(res),
      token: this.token.value,
      showsArguments: this.calls.keepsArguments,
      plugins: this.console.plugins(),
      tools: this.console.tools(),
      content: this.console.content(),
      sessions: this.console.sessionList(),
      calls: this.calls.list(),
      logs: this.logs.since(0),
      charts: await this.history.series(),
      now: Date.now(),
    };
  }

  @UseGuards(ConsoleGuard)
  @Get('api/plugins')
  plugins(): ConsolePlugins {
    return this.console.plugins();
  }

  @UseGuards(ConsoleGuard)
  @Post('api/plugins/reload')
  @HttpCode(200)
  reload(@Res({ passthrough: true }) res: GatewayResponse): Promise<ConsolePlugins> {
    return this.console.reload(principalOf(res));
  }

  @UseGuards(ConsoleGuard)
  @Get('api/tools')
  tools(): ConsoleTool[] {
    return this.console.tools();
  }

  @UseGuards(ConsoleGuard)
  @Get('api/content')
  content(): ConsoleContent {
    return this.console.content();
  }

  @UseGuards(ConsoleGuard)
  @Get('api/sessions')
  sessions(): SessionList {
    return this.console.sessionList();
  }

  @UseGuards(ConsoleGuard)
  @Delete('api/sessions/:id')
  @HttpCode(204)
  endSession(@Param('id') id: string, @Res({ passthrough: true }) res: GatewayResponse): void {
    if (!this.console.endSession(id, principalOf(res))) throw new NotFoundException(`No open session "${id}" in this gateway process.`);
  }

  @UseGuards(ConsoleGuard)
  @Get('api/calls')
  recentCalls(@Query('tool') tool?: string, @Query('outcome') outcome?: string, @Query('session') sessionId?: string): RecentCall[] {
    return this.calls.list({ tool: tool || undefined, outcome: outcome || undefined, sessionId: sessionId || undefined });
  }

  @UseGuards(ConsoleGuard)
  @Get('api/charts')
  charts(): Promise<ChartSeries> {
    return this.history.series();
  }

  @UseGuards(ConsoleGuard)
  @Get('api/logs')
  logTail(): LogLine[] {
    return this.logs.since(0);
  }

  /** The live stream: sessions, new calls, new log lines, charts and catalog changes as SSE events. */
  @UseGuards(ConsoleGuard)
  @Get('api/events')
  stream(@Req() req: GatewayRequest, @Res() res: GatewayResponse, @Query('calls') calls?: string, @Query('logs') logs?: string): void {
    this.events.open(req, res, { calls: Number(calls) || 0, logs: Number(logs) || 0 });
  }

  /**
   * "Try it": `{"name": tool, "arguments": {...}}` runs the tool under the admin's principal; the
   * answer is an SSE stream of its notifications (`notification` events) and then its JSON-RPC
   * response (`response`). Closing the stream cancels the call.
   */
  @UseGuards(ConsoleGuard)
  @Post('api/tools/call')
  async tryIt(@Req() req: GatewayRequest, @Res() res: GatewayResponse): Promise<void> {
    const body = await readBody(req, res);
    const name = isPlainObject(body) ? body['name'] : undefined;
    const args = isPlainObject(body) ? (body['arguments'] ?? {}) : undefined;
    if (typeof name !== 'string' || name === '' || !isPlainObject(args)) {
      throw new BadRequestException('Send {"name": "<tool name>", "arguments": {...}} as JSON.');
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    const { session, done } = this.console.tryIt(principalOf(res), name, args, (event) => {
      if (res.writableEnded) return;
      if (event.kind === 'notification') res.write(formatSseEvent({ event: 'notification', data: stringifyExact(event.message) }));
      else res.end(formatSseEvent({ event: 'response', data: stringifyExact(event.response) }));
    });
    res.on('close', () => session.close('the console closed the call'));
    await done;
  }

  private sendAsset(res: GatewayResponse, name: string): void {
    const asset = this.assets.get(name);
    if (asset === undefined) {
      if (!this.assets.built) {
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('The operator console is on (MCP_CONSOLE=1) but its files are not built: run `npx nx run console:build`, then restart.\n');
        return;
      }
      throw new NotFoundException(`No console file "${name}".`);
    }
    res.writeHead(200, { ...PAGE_HEADERS, 'Content-Type': asset.type, 'Content-Length': String(asset.body.length) });
    res.end(asset.body);
  }
}

/** The JSON body, read by express.json (bounded); its refusals keep their status (400, 413, 415). */
function readBody(req: GatewayRequest, res: GatewayResponse): Promise<unknown> {
  return new Promise((resolve, reject) => {
    readJson(req as Parameters<typeof readJson>[0], res as Parameters<typeof readJson>[1], (err?: unknown) => {
      if (err === undefined || err === null) return resolve(req.body);
      const status = (err as { status?: number }).status ?? 400;
      reject(
        new BadRequestException(
          status === 413 ? `The request is larger than ${TRY_BODY_LIMIT}.` : `The body is not valid JSON: ${(err as Error).message}`,
        ),
      );
    });
  });
}
