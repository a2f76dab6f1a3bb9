// A stand-in for the node's membership API, for testing membership.sh without a cluster.
// Usage: node fake-membership-api.mjs <port> <state.json>; state: {leader, members, unready}, where
// unready: true makes every member fail /health/ready.
// Mutations are appended to <state.json>.log; promotions are refused once (the learner "lags").
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [port, stateFile] = process.argv.slice(2);
const state = JSON.parse(readFileSync(stateFile, 'utf8'));
const refusedOnce = new Set();
let nextId = 100;
const log = (line) => appendFileSync(`${stateFile}.log`, `${line}\n`);

createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => {
    const reply = (status, value) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(value ?? {}));
    };
    const member = request.url.match(/^\/v1\/cluster\/members\/(\d+)(\/promote)?$/);
    if (request.method === 'GET' && request.url === '/v1/cluster') return reply(200, state);
    if (request.method === 'GET' && request.url === '/health/ready') {
      return reply(state.unready ? 503 : 200);
    }
    if (request.method === 'POST' && request.url === '/v1/cluster/members') {
      const { peerUrl, clientUrl } = JSON.parse(body);
      const id = nextId++;
      state.members.push({ id, peerUrl, clientUrl, learner: true });
      log(`add ${id} ${peerUrl}`);
      return reply(201, { id });
    }
    const target = member && state.members.find((m) => m.id === Number(member[1]));
    if (!target) return reply(404);
    if (request.method === 'POST' && member[2]) {
      if (!refusedOnce.has(target.id)) { refusedOnce.add(target.id); return reply(409); }
      target.learner = false;
      log(`promote ${target.id}`);
      return reply(200);
    }
    if (request.method === 'DELETE' && !member[2]) {
      state.members = state.members.filter((m) => m !== target);
      log(`remove ${target.id}`);
      return reply(200);
    }
    return reply(405);
  });
}).listen(Number(port), '127.0.0.1');
