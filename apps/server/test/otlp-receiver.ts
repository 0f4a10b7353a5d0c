// A small OTLP/HTTP receiver for the tracing specs: it keeps every export request and decodes the
// OTLP/JSON ones (the gateway's with OTEL_EXPORTER_OTLP_PROTOCOL=http/json, and the plugins').
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span of an OTLP/JSON export request, attributes flattened. */
export interface ReceivedSpan {
  service: string;
  /** The resource's service.instance.id: which gateway process sent it. */
  instance: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  links: Array<{ traceId: string; spanId: string }>;
  status: { code?: number; message?: string };
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttributes = Array<{ key: string; value: OtlpValue }>;

const flatten = (attributes: OtlpAttributes = []): Record<string, unknown> =>
  Object.fromEntries(attributes.map(({ key, value }) => [key, value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue))]));

/** A small OTLP/HTTP receiver: decodes the JSON export requests of the gateway and of plugins. */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly requests: Array<{ path: string; contentType: string; body: Buffer }> = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const contentType = String(req.headers['content-type'] ?? '');
        this.requests.push({ path: req.url ?? '', contentType, body });
        if (contentType.startsWith('application/json')) this.decode(JSON.parse(body.toString('utf8')));
        res.writeHead(200, { 'content-type': contentType.startsWith('application/json') ? 'application/json' : 'application/x-protobuf' });
        res.end(contentType.startsWith('application/json') ? '{}' : '');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  private decode(request: {
    resourceSpans: Array<{ resource?: { attributes?: OtlpAttributes }; scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }>;
  }): void {
    for (const resourceSpans of request.resourceSpans) {
      const resource = flatten(resourceSpans.resource?.attributes);
      const service = String(resource['service.name']);
      const instance = String(resource['service.instance.id']);
      for (const scope of resourceSpans.scopeSpans)
        for (const span of scope.spans)
          this.spans.push({
            service,
            instance,
            traceId: String(span['traceId']),
            spanId: String(span['spanId']),
            parentSpanId: String(span['parentSpanId'] ?? ''),
            name: String(span['name']),
            kind: Number(span['kind']),
            attributes: flatten(span['attributes'] as OtlpAttributes),
            links: ((span['links'] as Array<{ traceId: string; spanId: string }> | undefined) ?? []).map(({ traceId, spanId }) => ({ traceId, spanId })),
            status: (span['status'] as ReceivedSpan['status'] | undefined) ?? {},
          });
    }
  }

  async stop(): Promise<void> {
    // The exporter keeps its connection alive: close it too.
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
