// A stand-in for the node's membership API (src/main/java/io/latchkey/api/ClusterResource.java and
// ProblemMapper.java), for testing membership.sh without a cluster.
// Usage: node fake-membership-api.mjs <port> <state.json>. It answers on <port> as the leader and on
// <port>+1 as a follower, which, like a node that is not the leader, answers every change with 307
// to the leader's URL. Both serve GET /v1/cluster and /health/ready from the state:
//   {clusterId, leaderId, members: [{id, name, peerUrl, clientUrl, role}], unready, refuseRemovals, token}
// where ids are hex strings, unready: true fails every /health/ready, refuseRemovals: true
// makes the leader refuse removals with 409 (as when the remaining voters are not active enough),
// and token makes every /v1 request without `Authorization: Bearer <token>` a 401.
// Changes and refusals are appended to <state.json>.log; promotions are refused once (the learner
// "lags").
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [port, stateFile] = process.argv.slice(2);
const leaderPort = Number(port);
const state = JSON.parse(readFileSync(stateFile, 'utf8'));
const refusedOnce = new Set();
let nextId = 0x100;
const log = (line) => appendFileSync(`${stateFile}.log`, `${line}\n`);

const serve = (isLeader) => (request, response) => {
  let body = '';
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => {
    const reply = (status, value, headers = {}) => {
      response.writeHead(status, value === undefined ? headers : { 'Content-Type': 'application/json', ...headers });
      response.end(value === undefined ? undefined : JSON.stringify(value));
    };
    const problem = (status, title, detail, field = null, headers = {}) => {
      response.writeHead(status, { 'Content-Type': 'application/problem+json', ...headers });
      response.end(JSON.stringify({ type: 'about:blank', title, status, detail, field }));
    };
    // With a token in the state, /v1 needs it, as a node with client authentication does.
    if (state.token && request.url.startsWith('/v1/') && request.headers.authorization !== `Bearer ${state.token}`) {
      log('unauthorized');
      return problem(401, 'Unauthorized', 'a bearer token is required', null, { 'WWW-Authenticate': 'Bearer' });
    }
    if (request.method === 'GET' && request.url === '/v1/cluster') {
      const nodeId = isLeader ? state.leaderId : state.members.find((m) => m.id !== state.leaderId)?.id;
      return reply(200, { clusterId: state.clusterId, nodeId, leaderId: state.leaderId, term: 2, commitIndex: 10,
        appliedIndex: 10, members: state.members });
    }
    if (request.method === 'GET' && request.url === '/health/ready') return reply(state.unready ? 503 : 200, {});
    if (!request.url.startsWith('/v1/cluster/')) return problem(404, 'Not Found', request.url);
    if (!isLeader) {
      log('redirect');
      return problem(307, 'Not the leader', 'this node is not the leader', null,
        { Location: `http://127.0.0.1:${leaderPort}${request.url}` });
    }
    if (request.method === 'POST' && request.url === '/v1/cluster/members') {
      if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
        return problem(415, 'Unsupported Media Type', 'application/json expected');
      }
      const { name, peerUrl, clientUrl } = JSON.parse(body || 'null') ?? {};
      for (const [field, value] of [['peerUrl', peerUrl], ['clientUrl', clientUrl]]) {
        if (!/^https?:\/\/[^/\s]+(:\d+)?\/?$/.test(value ?? '')) return problem(400, 'Bad Request', `${field} is required`, field);
      }
      const id = (nextId++).toString(16);
      state.members.push({ id, name: name || peerUrl, peerUrl, clientUrl, role: 'learner' });
      log(`add ${id} ${peerUrl}`);
      return reply(201, { id, clusterId: state.clusterId });
    }
    const member = request.url.match(/^\/v1\/cluster\/members\/([0-9a-f]+)(\/promote)?$/);
    const target = member && state.members.find((m) => m.id === member[1]);
    if (!target) return problem(404, 'Membership change refused', `no member ${member?.[1]}`);
    if (request.method === 'POST' && member[2]) {
      if (!refusedOnce.has(target.id)) {
        refusedOnce.add(target.id);
        log(`refused promote ${target.id}`);
        return problem(409, 'Membership change refused', `member ${target.id} has not caught up`);
      }
      target.role = 'voter';
      log(`promote ${target.id}`);
      return reply(204);
    }
    if (request.method === 'DELETE' && !member[2]) {
      if (state.refuseRemovals) {
        log(`refused remove ${target.id}`);
        return problem(409, 'Membership change refused', `removing ${target.id} would leave less than a quorum active`);
      }
      state.members = state.members.filter((m) => m !== target);
      log(`remove ${target.id}`);
      return reply(204);
    }
    return problem(405, 'Method Not Allowed', request.method);
  });
};

createServer(serve(true)).listen(leaderPort, '127.0.0.1');
createServer(serve(false)).listen(leaderPort + 1, '127.0.0.1');
