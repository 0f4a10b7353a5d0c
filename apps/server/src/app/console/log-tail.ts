import { Writable } from 'node:stream';
import * as winston from 'winston';
import type { LogLine } from '@sanctum/console-api';

/** Log lines the console keeps for its tail. */
export const LOG_TAIL_LINES = 500;

/**
 * The last lines the gateway logged, for the console's live tail: `transport` is a winston Stream
 * transport in object mode added to the gateway's logger, so it sees what the other transports
 * see (the same level, so no argument values below debug).
 */
export class LogTail {
  private readonly ring: Array<LogLine | undefined> = new Array<LogLine | undefined>(LOG_TAIL_LINES);
  private seq = 0;

  readonly transport = new winston.transports.Stream({
    stream: new Writable({
      objectMode: true,
      write: (info: winston.Logform.TransformableInfo, _encoding, done) => {
        this.add(info);
        done();
      },
    }),
  });

  private add(info: winston.Logform.TransformableInfo): void {
    const seq = ++this.seq;
    const { message, level, timestamp, context } = info as { message: unknown; level: string; timestamp?: unknown; context?: unknown };
    const line: LogLine = {
      seq,
      timestamp: typeof timestamp === 'string' ? timestamp : new Date().toISOString(),
      level,
      message: typeof message === 'string' ? message : JSON.stringify(message),
    };
    if (typeof context === 'string') line.context = context;
    this.ring[seq % LOG_TAIL_LINES] = line;
  }

  get last(): number {
    return this.seq;
  }

  /** The kept lines after `after`, oldest first. */
  since(after = 0): LogLine[] {
    const out: LogLine[] = [];
    for (let seq = Math.max(after + 1, this.seq - LOG_TAIL_LINES + 1, 1); seq <= this.seq; seq++) {
      const line = this.ring[seq % LOG_TAIL_LINES];
      if (line?.seq === seq) out.push(line);
    }
    return out;
  }
}
