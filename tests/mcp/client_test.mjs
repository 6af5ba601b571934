// The MCP server through the official TypeScript SDK's client, end to end:
// `node client_test.mjs stdio` starts `tether mcp` (StdioClientTransport),
// `node client_test.mjs http` talks to `tether serve`'s POST /mcp with a
// bearer token (StreamableHTTPClientTransport). Both sync a real git
// repository first, then check: the tools list; text search finds a known
// string, symbol search a known function, semantic search that function from
// words; symbols of a file and by name; a line range read is those lines; a
// read past the size cap says where to go on; files listed page by page;
// the generated docs; every result names the project, branch and commit
// that `tether project show` reports; another tenant's project is never
// seen; hostile arguments (path traversal, huge limits, wrong types, an
// unknown tool) give clear errors. Each transport then has checks of its
// own: raw JSON-RPC over the pipe (lifecycle, batches by version, parse
// errors, stdout holding only protocol lines), and over HTTP the status
// codes, the tenant token, Origin and Host checks, versions and batches.
//
// Environment: see world.mjs. Exits 0 when every check passed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import readline from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import {
  BIG, FUNCTION, GEOMETRY, LINES, OTHER_SECRET, PG_DIR, SENTINEL, SRC_FILES, TETHER, World, log, main,
} from './world.mjs';

const TRANSPORT = process.argv[2];
const TOOLS = ['docs', 'list_files', 'list_projects', 'read_file', 'search', 'symbols'];
const world = new World(`tether-mcp-${TRANSPORT}-`);

async function connect(transport) {
  const client = new Client({ name: 'tether-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

function stdioTransport(...extra) {
  return new StdioClientTransport({
    command: TETHER, args: ['--config', world.config, ...extra, 'mcp'], stderr: 'pipe',
  });
}

function httpTransport(base, token) {
  return new StreamableHTTPClientTransport(new URL(`${base}/mcp`),
    { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
}

// Calls a tool that must succeed; returns its structured content, checked
// against its text content and for where it comes from.
async function call(client, name, args, where) {
  const result = await client.callTool({ name, arguments: args });
  assert.notEqual(result.isError, true, `${name} ${JSON.stringify(args)}: ${result.content?.[0]?.text}`);
  const structured = result.structuredContent;
  assert.ok(structured, `${name}: structuredContent`);
  assert.deepEqual(JSON.parse(result.content[0].text), structured, `${name}: the text is the structured content`);
  if (where) {
    assert.equal(structured.project, where.project, `${name}: project`);
    assert.equal(structured.branch, where.branch, `${name}: branch`);
    assert.equal(structured.commit, where.commit, `${name}: commit`);
  }
  return structured;
}

// Calls a tool that must fail as a tool; returns its message, which must
// match `pattern`.
async function refused(client, name, args, pattern) {
  const result = await client.callTool({ name, arguments: args });
  assert.equal(result.isError, true, `${name} ${JSON.stringify(args)} must fail, gave ${result.content?.[0]?.text}`);
  const message = result.content[0].text;
  assert.match(message, pattern, `${name} ${JSON.stringify(args)}`);
  assert.equal(result.structuredContent, undefined);
  return message;
}

// ---- the checks both transports share ------------------------------------------

async function checkTools(client, where) {
  assert.equal(client.getServerVersion().name, 'tether');
  assert.ok(client.getServerCapabilities().tools, 'the tools capability');
  assert.match(client.getInstructions() ?? '', /list_projects/);
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
  for (const tool of tools) {
    assert.ok(tool.description.length > 20, `${tool.name}: a description`);
    assert.equal(tool.inputSchema.type, 'object', `${tool.name}: inputSchema`);
    assert.equal(tool.outputSchema?.type, 'object', `${tool.name}: outputSchema`);
    assert.equal(tool.annotations?.readOnlyHint, true, `${tool.name}: read only`);
  }
  log(`tools: ${tools.map((t) => t.name).join(', ')}`);

  const { projects } = await call(client, 'list_projects', {});
  assert.deepEqual(projects.map((p) => p.project), ['demo'], 'only the default tenant\'s project');
  assert.equal(projects[0].branch, where.branch);
  assert.equal(projects[0].commit, where.commit);

  // search: the three modes.
  const text = await call(client, 'search', { project: 'demo', query: SENTINEL.text }, where);
  assert.equal(text.mode, 'text');
  assert.deepEqual(text.hits.map((h) => [h.path, h.start_line]), [[SENTINEL.path, SENTINEL.line]]);
  assert.match(text.hits[0].snippet, /MAGIC_SENTINEL_42/);
  const lower = await call(client, 'search', { project: 'demo', query: 'magic_sentinel', case_sensitive: true }, where);
  assert.equal(lower.hits.length, 0, 'case_sensitive');
  const under = await call(client, 'search', { project: 'demo', query: 'line 1', path: 'src/nested/' }, where);
  assert.equal(under.hits.length, 0, 'path prefix');
  const limited = await call(client, 'search', { project: 'demo', query: 'line', path: 'src/lines.txt', limit: 5 }, where);
  assert.equal(limited.hits.length, 5);
  assert.equal(limited.more, true);
  const symbol = await call(client, 'search', { project: 'demo', query: FUNCTION.name, mode: 'symbol' }, where);
  assert.equal(symbol.hits[0].symbol, FUNCTION.name);
  assert.equal(symbol.hits[0].kind, 'function');
  assert.deepEqual([symbol.hits[0].path, symbol.hits[0].start_line, symbol.hits[0].end_line],
    [FUNCTION.path, FUNCTION.start, FUNCTION.end]);
  const semantic = await call(client, 'search',
    { project: 'demo', query: 'compute the area of a triangle from its sides', mode: 'semantic', limit: 3 }, where);
  assert.equal(semantic.mode, 'semantic');
  assert.equal(semantic.hits[0]?.path, FUNCTION.path, 'semantic search finds the function from words');
  log('search: text, symbol and semantic found what they should');

  // symbols: a file's outline, and by name.
  const outline = await call(client, 'symbols', { project: 'demo', file: 'src/geometry.c' }, where);
  assert.equal(outline.file, 'src/geometry.c');
  assert.deepEqual(outline.symbols.map((s) => s.name).filter((n) => n !== 'kSentinel'),
    ['compute_triangle_area', 'circle_count']);
  const named = await call(client, 'symbols', { project: 'demo', name: 'deep', kind: 'function' }, where);
  assert.deepEqual(named.symbols.map((s) => [s.path, s.name]), [['src/nested/deep.h', 'deep_function']]);

  // read_file: a range, the whole file, past the cap.
  const range = await call(client, 'read_file', { project: 'demo', path: 'src/lines.txt', start_line: 3, end_line: 5 }, where);
  assert.equal(range.content, 'line 3\nline 4\nline 5\n');
  assert.deepEqual([range.start_line, range.end_line, range.total_lines, range.truncated], [3, 5, 30, false]);
  const whole = await call(client, 'read_file', { project: 'demo', path: 'src/geometry.c' }, where);
  assert.equal(whole.content, GEOMETRY);
  assert.equal(whole.language, 'c');
  const tail = await call(client, 'read_file', { project: 'demo', path: 'src/lines.txt', start_line: 29, end_line: 500 }, where);
  assert.equal(tail.content, 'line 29\nline 30\n');
  const big = await call(client, 'read_file', { project: 'demo', path: 'big/big.txt' }, where);
  assert.equal(big.truncated, true);
  assert.ok(big.content.length <= 256 * 1024 && big.content.endsWith('\n'), 'cut at a whole line under the cap');
  assert.equal(big.next_start_line, big.end_line + 1);
  const rest = await call(client, 'read_file', { project: 'demo', path: 'big/big.txt', start_line: big.next_start_line }, where);
  assert.equal(rest.truncated, false);
  assert.equal(big.content + rest.content, BIG, 'the two reads make the file');
  const line = await call(client, 'read_file', { project: 'demo', path: 'big/one-line.txt' }, where);
  assert.deepEqual([line.truncated, line.end_line, line.next_start_line], [true, 1, null]);
  assert.equal(line.content, 'é'.repeat(128 * 1024), 'a line over the cap is cut at a character');
  log(`read_file: a range, a whole file, and ${BIG.length} bytes in two reads`);

  // list_files: paged with a cursor.
  let cursor;
  const listed = [];
  let pages = 0;
  do {
    const page = await call(client, 'list_files', { project: 'demo', path: 'src/', limit: 2, ...(cursor ? { cursor } : {}) }, where);
    listed.push(...page.files.map((f) => f.path));
    cursor = page.next_cursor;
    ++pages;
  } while (cursor && pages < 10);
  assert.deepEqual(listed, SRC_FILES);
  assert.equal(pages, 2);
  const all = await call(client, 'list_files', { project: 'demo' }, where);
  assert.equal(all.files.length, 7);
  assert.equal(all.next_cursor, null);

  // docs: a file's page and the project's.
  const page = await call(client, 'docs', { project: 'demo', path: 'src/geometry.c' }, where);
  assert.match(page.markdown, /compute_triangle_area/);
  const root = await call(client, 'docs', { project: 'demo' }, where);
  assert.match(root.markdown, /geometry\.c|src/);
  log('symbols, list_files and docs answered, each naming project, branch and commit');

  // Hostile and mistaken arguments: tool errors that name the argument.
  await refused(client, 'read_file', { project: 'demo', path: '../../etc/passwd' }, /"path".*"\.\."/);
  await refused(client, 'read_file', { project: 'demo', path: '/etc/passwd' }, /"path".*absolute/);
  await refused(client, 'read_file', { project: 'demo', path: 'src//geometry.c' }, /"path"/);
  await refused(client, 'read_file', { project: 'demo', path: 'src/missing.c' }, /"path".*not a file/);
  await refused(client, 'read_file', { project: 'demo', path: 'src/lines.txt', start_line: 99 }, /"start_line".*30 lines/);
  await refused(client, 'read_file', { project: 'demo', path: 'src/lines.txt', start_line: 5, end_line: 2 }, /"end_line"/);
  await refused(client, 'list_files', { project: 'demo', path: '../..' }, /"path"/);
  await refused(client, 'list_files', { project: 'demo', limit: 1000000 }, /"limit".*1 to 1000/);
  await refused(client, 'list_files', { project: 'demo', cursor: 'not-a-cursor' }, /"cursor"/);
  await refused(client, 'search', { project: 'demo', query: 'area', limit: 1e12 }, /"limit"/);
  await refused(client, 'search', { project: 'demo', query: 'area', limit: 'ten' }, /"limit".*integer.*string/);
  await refused(client, 'search', { project: 'demo', query: 42 }, /"query".*string/);
  await refused(client, 'search', { project: 'demo', query: 'ab' }, /"query".*3 characters/);
  await refused(client, 'search', { project: 'demo', query: 'area', mode: 'fuzzy' }, /"mode"/);
  await refused(client, 'search', { project: 'demo', query: 'area', case_sensitive: 'yes' }, /"case_sensitive"/);
  await refused(client, 'search', { project: 'demo', query: 'area', extra: 1 }, /unknown argument "extra"/);
  await refused(client, 'search', { query: 'area' }, /"project" is required/);
  await refused(client, 'symbols', { project: 'demo' }, /"file".*"name"/);
  await refused(client, 'docs', { project: 'demo', path: 'no/such/dir' }, /"path"/);
  // Another tenant's project is as missing as one that does not exist.
  const secret = await refused(client, 'read_file', { project: 'secret', path: 'secret.txt' }, /"project".*no project "secret"/);
  assert.doesNotMatch(secret, new RegExp(OTHER_SECRET));
  await refused(client, 'search', { project: 'secret', query: OTHER_SECRET }, /no project "secret"/);
  await assert.rejects(client.callTool({ name: 'delete_everything', arguments: {} }),
    (error) => error.code === -32602 && /Unknown tool: delete_everything/.test(error.message));
  await assert.rejects(client.request({ method: 'resources/list', params: {} }, (await import('@modelcontextprotocol/sdk/types.js')).ListResourcesResultSchema),
    (error) => error.code === -32601);
  assert.deepEqual(await client.ping(), {});
  log('hostile arguments, another tenant\'s project and an unknown tool were refused clearly');
}

// ---- stdio -------------------------------------------------------------------------

// Raw lines to `tether mcp`; resolves to the lines it wrote on stdout.
function rawStdio(lines, ...extra) {
  return new Promise((resolve, reject) => {
    const child = spawn(TETHER, ['--config', world.config, ...extra, 'mcp'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    let stderr = '';
    readline.createInterface({ input: child.stdout }).on('line', (line) => out.push(line));
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`tether mcp exited ${code}: ${stderr}`));
      else resolve({ out, stderr });
    });
    child.stdin.end(lines.join('\n') + '\n');
  });
}

async function checkStdio(where) {
  const client = await connect(stdioTransport());
  await checkTools(client, where);
  await client.close();

  // --tenant: the other tenant's project, and only it.
  const other = await connect(stdioTransport('--tenant', 'other'));
  const { projects } = await call(other, 'list_projects', {});
  assert.deepEqual(projects.map((p) => p.project), ['secret']);
  const secret = await call(other, 'read_file', { project: 'secret', path: 'secret.txt' });
  assert.equal(secret.content, `${OTHER_SECRET}\n`);
  await refused(other, 'read_file', { project: 'demo', path: 'src/geometry.c' }, /no project "demo"/);
  await other.close();
  log('stdio: --tenant other sees its project only');

  const init = (version, id = 1) => JSON.stringify({
    jsonrpc: '2.0', id, method: 'initialize',
    params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  // Before initialize: only ping; a batch is refused.
  let { out, stderr } = await rawStdio([
    '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    '{"jsonrpc":"2.0","id":2,"method":"ping"}',
    '[{"jsonrpc":"2.0","id":3,"method":"ping"}]',
    'not json at all',
    '',
    '{"jsonrpc":"2.0","method":"notifications/initialized"}',
    init('2025-03-26', 4),
    '{"jsonrpc":"2.0","method":"notifications/initialized"}',
    '[{"jsonrpc":"2.0","id":5,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/cancelled","params":{}},' +
      '{"jsonrpc":"2.0","id":6,"method":"tools/list"}]',
    init('2025-03-26', 7),
    '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"list_projects"}}',
    '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"search","arguments":[1]}}',
    '{"jsonrpc":"2.0","id":10,"method":"no/such/method"}',
    '{"jsonrpc":"1.0","id":11,"method":"ping"}',
    '{"jsonrpc":"2.0","id":null,"method":"ping"}',
    '[' + '['.repeat(100) + ']'.repeat(100) + ']',
  ]);
  const replies = out.map((line) => JSON.parse(line));  // every stdout line is one JSON message
  assert.equal(replies.length, 13, out.join('\n'));
  const [early, ping, batchEarly, garbage, initialized, batch, again, listed, badArgs, unknown, v1, nullId, deep] = replies;
  assert.equal(early.error.code, -32600);
  assert.deepEqual(ping, { jsonrpc: '2.0', id: 2, result: {} });
  assert.equal(batchEarly.error.code, -32600);
  assert.equal(garbage.error.code, -32700);
  assert.equal(initialized.result.protocolVersion, '2025-03-26');
  assert.equal(initialized.result.serverInfo.name, 'tether');
  assert.deepEqual(batch.map((r) => r.id), [5, 6], 'a batch at 2025-03-26 is answered as one');
  assert.equal(batch[1].result.tools[0].outputSchema, undefined, 'no outputSchema before 2025-06-18');
  assert.equal(again.error.code, -32600, 'a second initialize');
  assert.equal(listed.result.structuredContent, undefined, 'no structuredContent before 2025-06-18');
  assert.equal(JSON.parse(listed.result.content[0].text).projects[0].project, 'demo');
  assert.equal(badArgs.error.code, -32602);
  assert.equal(unknown.error.code, -32601);
  assert.equal(v1.error.code, -32600);
  assert.equal(nullId.error.code, -32600);
  assert.equal(deep.error.code, -32700);
  assert.match(stderr, /serving MCP on stdin\/stdout for tenant default/);

  // At 2025-06-18 and later a batch is refused; an unknown version gets the newest.
  ({ out } = await rawStdio([init('2025-06-18'), '[{"jsonrpc":"2.0","id":2,"method":"ping"}]']));
  assert.equal(JSON.parse(out[0]).result.protocolVersion, '2025-06-18');
  assert.equal(JSON.parse(out[1]).error.code, -32600);
  ({ out } = await rawStdio([init('1999-01-01')]));
  assert.equal(JSON.parse(out[0]).result.protocolVersion, LATEST_PROTOCOL_VERSION);
  log('stdio: lifecycle, batches by version, parse errors, only protocol lines on stdout');
}

// ---- HTTP --------------------------------------------------------------------------

async function post(base, token, body, headers = {}) {
  const response = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
      ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : null };
}

async function checkHttp(where) {
  const token = world.token('mcp-test');
  const otherToken = world.token('mcp-other', 'other');
  const base = await world.startServer();
  log(`server at ${base}`);

  const client = await connect(httpTransport(base, token));
  assert.equal(client.transport.sessionId, undefined, 'stateless: no session id');
  await checkTools(client, where);
  await client.close();

  // The tenant token sees its tenant's project only.
  const other = await connect(httpTransport(base, otherToken));
  const { projects } = await call(other, 'list_projects', {});
  assert.deepEqual(projects.map((p) => p.project), ['secret']);
  await refused(other, 'read_file', { project: 'demo', path: 'src/geometry.c' }, /no project "demo"/);
  await refused(other, 'search', { project: 'demo', query: SENTINEL.text }, /no project "demo"/);
  await other.close();
  log('http: a tenant token sees its tenant\'s project only');

  // Without a token, with a wrong one: 401.
  const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
  assert.equal((await post(base, null, ping)).status, 401);
  assert.equal((await post(base, 'tether_wrong', ping)).status, 401);
  // GET and DELETE: 405 (no stream, no session).
  for (const method of ['GET', 'DELETE']) {
    const response = await fetch(`${base}/mcp`, { method, headers: { Authorization: `Bearer ${token}` } });
    assert.equal(response.status, 405, method);
    assert.equal(response.headers.get('allow'), 'POST');
  }
  // Origin and Host: DNS rebinding.
  assert.equal((await post(base, token, ping, { Origin: 'http://evil.example' })).status, 403);
  assert.equal((await post(base, token, ping, { Origin: 'null' })).status, 403);
  assert.equal((await post(base, token, ping, { Origin: base })).status, 200);
  assert.equal((await post(base, token, ping, { Origin: 'http://localhost:3000' })).status, 200);
  // A server on loopback answers only loopback Host names (fetch cannot set Host).
  const withHost = (host) => new Promise((resolve, reject) => {
    const url = new URL(`${base}/mcp`);
    const request = http.request({
      host: url.hostname, port: url.port, path: '/mcp', method: 'POST',
      headers: { Host: host, 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    }, (response) => { response.resume(); resolve(response.statusCode); });
    request.on('error', reject);
    request.end(JSON.stringify(ping));
  });
  assert.equal(await withHost('evil.example'), 403);
  assert.equal(await withHost(`localhost:${new URL(base).port}`), 200);
  assert.equal(await withHost('[::1]'), 200);
  // Media types and versions.
  assert.equal((await post(base, token, JSON.stringify(ping), { 'Content-Type': 'text/plain' })).status, 415);
  assert.equal((await post(base, token, ping, { Accept: 'text/html' })).status, 406);
  const badVersion = await post(base, token, ping, { 'MCP-Protocol-Version': '1999-01-01' });
  assert.equal(badVersion.status, 400);
  assert.match(badVersion.json.error.message, /2025-06-18/);
  const garbage = await post(base, token, '{"jsonrpc":');
  assert.equal(garbage.status, 400);
  assert.equal(garbage.json.error.code, -32700);
  // Notifications and responses: 202, no body.
  const notified = await post(base, token, { jsonrpc: '2.0', method: 'notifications/initialized' },
    { 'MCP-Protocol-Version': '2025-11-25' });
  assert.equal(notified.status, 202);
  assert.equal(notified.json, null);
  // Batches: at 2025-03-26 (no header) answered, at 2025-06-18 refused.
  const batch = [ping, { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_projects', arguments: {} } }];
  const answered = await post(base, token, batch);
  assert.equal(answered.status, 200);
  assert.deepEqual(answered.json.map((r) => r.id), [1, 2]);
  assert.equal(JSON.parse(answered.json[1].result.content[0].text).projects[0].project, 'demo');
  assert.equal((await post(base, token, batch, { 'MCP-Protocol-Version': '2025-06-18' })).status, 400);
  // Version negotiation in initialize.
  const initialize = (version) => ({
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  for (const version of ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']) {
    const reply = await post(base, token, initialize(version));
    assert.equal(reply.json.result.protocolVersion, version);
    assert.equal(reply.headers.get('mcp-session-id'), null);
  }
  assert.equal((await post(base, token, initialize('2099-01-01'))).json.result.protocolVersion, LATEST_PROTOCOL_VERSION);
  log('http: 401, 405, Origin and Host 403, 415, 406, version 400, parse error 400, 202, batches by version, negotiation');
}

await main(`mcp client test (${TRANSPORT}${PG_DIR ? ', PostgreSQL' : ''})`, 240000, world, async () => {
  assert.ok(TRANSPORT === 'stdio' || TRANSPORT === 'http', 'usage: client_test.mjs stdio|http');
  world.init();
  const where = world.syncProjects();
  log(`synced demo at ${where.commit} (${PG_DIR ? 'PostgreSQL' : 'SQLite'})`);
  assert.equal(LINES.split('\n').length, 31);
  if (TRANSPORT === 'stdio') await checkStdio(where);
  else await checkHttp(where);
});
