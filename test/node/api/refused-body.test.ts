/**
 * A refused body does not break the connection it came on: through the running product (wrangler dev), on one
 * keep-alive connection, a POST whose body is over the limit (sent in chunks, or with its length declared) gets
 * its 413, and the next POST and GET on the same connection are served.
 */
import http from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { grayPng } from '../../hostile/png.js';
import { sharedServer, type Server } from '../helpers/server.js';

let server: Server;
beforeAll(async () => {
  server = await sharedServer();
});

interface Answer {
  status: number;
  body: string;
}

/** One request on `agent`; the body is `chunks` chunks of 64 KiB, or `bytes` in one go. */
function request(agent: http.Agent, method: string, path: string, body?: { chunks?: number; bytes?: Uint8Array; declared?: number }): Promise<Answer> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'image/png' };
    if (body?.declared !== undefined) headers['content-length'] = body.declared;
    if (body?.bytes) headers['content-length'] = body.bytes.length;
    const req = http.request({ host: url.hostname, port: url.port, method, path, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    if (body?.bytes) return void req.end(body.bytes);
    let sent = 0;
    const write = () => {
      while (sent < (body?.chunks ?? 0)) {
        sent++;
        if (!req.write(new Uint8Array(65536).fill(7))) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

describe('a refused body', () => {
  it.each([['sent in chunks', { chunks: 32 }], ['with its length declared', { chunks: 32, declared: 32 * 65536 }]])('%s: 413, then the connection serves the next requests', async (_, body) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await request(agent, 'POST', '/api/v1/predict?model=fashion-mlp', body);
      expect(refused.status, refused.body).toBe(413);
      expect(JSON.parse(refused.body).detail).toMatch(/1048576/);
      const next = await request(agent, 'POST', '/api/v1/predict?model=fashion-mlp', { bytes: grayPng(28, 28) });
      expect(next.status, next.body).toBe(200);
      expect((await request(agent, 'GET', '/api/v1/models')).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });
});
