/**
 * The anchor of `npm run bench:serve`: a bare `node:http` cluster (one process per core) that parses
 * the JSON body and answers a fixed 10-item recommendation, as ../shared/EVAL.md measured it: the
 * ceiling of Node's HTTP stack on this machine. Run directly: `node bench/bare-node-http.ts PORT [PROCESSES]`.
 * @module
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';

const port = Number(process.argv[2] ?? 8081);
const processes = Number(process.argv[3] ?? availableParallelism());
const items = Array.from({ length: 10 }, (_, i) => ({ videoId: `v${i + 1}`, score: 1 - i / 100 }));

if (cluster.isPrimary && processes > 1) {
  for (let i = 0; i < processes; i++) cluster.fork();
} else {
  createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk;
    });
    req.on('end', () => {
      const request = (body ? JSON.parse(body) : {}) as { user_id?: string };
      const out = JSON.stringify({ userId: request.user_id, recommendations: items });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  }).listen(port, '127.0.0.1');
}
