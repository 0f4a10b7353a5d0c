import { RpcError, stringifyExact } from '@sanctum/protocol';
import type { JsonRpcFailure } from '@sanctum/protocol';

/** One item cut from a newline-delimited input: a line to decode, or the error owed for a line that was too long. */
export type ReadItem = { ok: true; line: string } | { ok: false; response: JsonRpcFailure };

const LF = 0x0a;
const CR = 0x0d;

/**
 * Cuts newline-delimited JSON (the stdio transport) into lines, never holding more than the cap.
 * Works on bytes, so a UTF-8 character split across chunks is decoded whole. CRLF endings are
 * accepted and blank lines skipped. A line longer than `maxLineBytes` is answered once with a
 * JSON-RPC -32600 error and discarded up to its newline: the reader never throws and never grows
 * past the cap.
 */
export class ReadBuffer {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** True while skipping the rest of an over-long line. */
  private discarding = false;

  constructor(readonly maxLineBytes: number) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError('maxLineBytes must be a positive integer');
  }

  /** Bytes held of a line whose newline has not arrived yet (0 while discarding). */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** Feed a chunk; returns every complete line (and error) it finished, in order. */
  push(chunk: Buffer | string): ReadItem[] {
    let data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const items: ReadItem[] = [];
    while (data.length > 0) {
      const newline = data.indexOf(LF);
      const part = newline === -1 ? data : data.subarray(0, newline);
      data = newline === -1 ? Buffer.alloc(0) : data.subarray(newline + 1);

      if (this.discarding) {
        if (newline !== -1) this.discarding = false;
        continue;
      }
      this.pending.push(part);
      this.pendingLength += part.length;
      // One byte of slack: a line of exactly the cap may still carry the CR of a CRLF ending.
      if (this.pendingLength > this.maxLineBytes + 1) {
        items.push(this.overflow());
        this.clearPending();
        if (newline === -1) this.discarding = true;
        continue;
      }
      if (newline === -1) continue;

      let line = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingLength);
      this.clearPending();
      if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
      if (line.length > this.maxLineBytes) {
        items.push(this.overflow());
        continue;
      }
      const text = line.toString('utf8');
      if (text.trim() === '') continue;
      items.push({ ok: true, line: text });
    }
    return items;
  }

  /** Forget a partial line (at the end of input). */
  reset(): void {
    this.clearPending();
    this.discarding = false;
  }

  private clearPending(): void {
    this.pending = [];
    this.pendingLength = 0;
  }

  private overflow(): ReadItem {
    return {
      ok: false,
      response: RpcError.invalidRequest(
        `a message line is longer than the limit of ${this.maxLineBytes} bytes (MCP_MAX_BODY_BYTES); it was discarded.`,
      ).toResponse(null),
    };
  }
}

/** One JSON-RPC message (or batch) as a stdio line: JSON never contains a raw newline. Bigint ids are written as their digits. */
export function serializeLine(message: unknown): string {
  return `${stringifyExact(message)}\n`;
}
