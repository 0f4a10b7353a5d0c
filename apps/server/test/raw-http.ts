import { request } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Raw HTTP on loopback with the header names and values exactly as given: fetch lower-cases names
 * and cannot set Host or a forbidden Origin.
 */
export function raw(port: number, method: string, path: string, headers: Record<string, string | string[]>, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
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
