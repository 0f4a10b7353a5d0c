import { request } from 'node:http';
import { connect } from 'node:net';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Raw HTTP on loopback with the header names and values exactly as given: fetch lower-cases names
 * and cannot set Host or a forbidden Origin. `from`: the local address to connect from (another
 * client, such as 127.0.0.2).
 */
export function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: string | Buffer,
  from?: string,
): Promise<Reply> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, localAddress: from }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    // A string body is written, then the request ended: chunked unless the headers give a
    // Content-Length. A Buffer is sent in one piece with end(): Node adds its Content-Length.
    if (typeof body === 'string') {
      req.write(body);
      req.end();
    } else req.end(body);
  });
}

export interface Flooded {
  answer: string;
  /** Body bytes written when the server closed the connection (or at the timeout). */
  sent: number;
  ms: number;
  /** The server closed the connection before the timeout. */
  closed: boolean;
}

/** `head`, then `chunk` again and again as fast as the connection takes it, never ending the body. */
export function flood(port: number, head: string, chunk: Buffer, timeoutMs = 5_000, max = 64 * 1024 * 1024): Promise<Flooded> {
  return new Promise((resolvePromise) => {
    const started = Date.now();
    let answer = '';
    let sent = 0;
    let done = false;
    const socket = connect(port, '127.0.0.1');
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolvePromise({ answer, sent, ms: Date.now() - started, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const pump = (): void => {
      while (!done && sent < max) {
        sent += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => (answer += text));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => undefined); // written after the server closed: a reset
    socket.on('connect', () => {
      socket.write(head);
      pump();
    });
  });
}
