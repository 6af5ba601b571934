// The Model Context Protocol's published conformance suite
// (@modelcontextprotocol/conformance, server mode) against `tether serve`'s
// POST /mcp, with a synced project behind it.
//
// The suite connects without credentials, so it talks to /mcp through a
// loopback proxy that adds the bearer token to each request and changes
// nothing else (Host and Origin pass as sent): what an agent configured
// with the header sends.
//
// Every scenario the suite lists is either run (APPLICABLE: it must end
// with no FAILURE check; warnings are printed) or skipped here with the
// reason (SKIPPED): those need fixture tools, resources or prompts by fixed
// names ("test_simple_text", "test_prompt_with_arguments", ...) that a real
// server does not expose, or capabilities tether does not declare. A
// scenario the suite adds in a later version fails this test until it is
// put in one list or the other.
//
// Environment: see world.mjs. Exits 0 when every applicable scenario passed.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { World, log, main } from './world.mjs';

const SUITE = path.join(path.dirname(fileURLToPath(import.meta.url)),
  'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');

const APPLICABLE = [
  'server-initialize',
  'ping',
  'tools-list',
  'dns-rebinding-protection',
  // Streamable HTTP behaviour: tether answers JSON, stateless, so these
  // report that their SSE checks do not apply (warnings, no failure).
  'server-sse-polling',
  'server-sse-multiple-streams',
];

const FIXTURE_TOOL = 'needs the suite\'s fixture tool of that name, which a real server does not expose ' +
  '(tether\'s own tools are called through the SDK by client_test.mjs)';
const SKIPPED = {
  'logging-set-level': 'tether declares no logging capability: it sends agents no log messages',
  'completion-complete': 'tether offers no prompts or resource templates to complete',
  'tools-call-simple-text': FIXTURE_TOOL,
  'tools-call-image': FIXTURE_TOOL,
  'tools-call-audio': FIXTURE_TOOL,
  'tools-call-embedded-resource': FIXTURE_TOOL,
  'tools-call-mixed-content': FIXTURE_TOOL,
  'tools-call-with-logging': `${FIXTURE_TOOL}; and tether declares no logging`,
  'tools-call-error': `${FIXTURE_TOOL} (tether's tool errors, isError with a message, are checked by client_test.mjs)`,
  'tools-call-with-progress': `${FIXTURE_TOOL}; tether's answers are single JSON bodies, with no progress to report`,
  'tools-call-sampling': `${FIXTURE_TOOL}; tether never asks the client to sample`,
  'tools-call-elicitation': `${FIXTURE_TOOL}; tether never asks the client for input`,
  'json-schema-2020-12': FIXTURE_TOOL,
  'elicitation-sep1034-defaults': `${FIXTURE_TOOL}; tether never asks the client for input`,
  'elicitation-sep1330-enums': `${FIXTURE_TOOL}; tether never asks the client for input`,
  'resources-list': 'tether offers no resources (its index is read through tools)',
  'resources-read-text': 'tether offers no resources',
  'resources-read-binary': 'tether offers no resources',
  'resources-templates-read': 'tether offers no resources',
  'resources-subscribe': 'tether offers no resources',
  'resources-unsubscribe': 'tether offers no resources',
  'prompts-list': 'tether offers no prompts',
  'prompts-get-simple': 'tether offers no prompts',
  'prompts-get-with-args': 'tether offers no prompts',
  'prompts-get-embedded-resource': 'tether offers no prompts',
  'prompts-get-with-image': 'tether offers no prompts',
};

const world = new World('tether-mcp-conformance-');

// A loopback proxy to `target` that adds the bearer token; resolves to its
// base URL.
function startProxy(target, token) {
  const upstream = new URL(target);
  const proxy = http.createServer((request, response) => {
    const forwarded = http.request({
      host: upstream.hostname, port: upstream.port, method: request.method, path: request.url,
      headers: { ...request.headers, authorization: `Bearer ${token}` },
    }, (answer) => {
      response.writeHead(answer.statusCode, answer.headers);
      answer.pipe(response);
    });
    forwarded.on('error', (error) => {
      response.writeHead(502);
      response.end(String(error));
    });
    request.pipe(forwarded);
  });
  world.proxy = proxy;
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${proxy.address().port}`)));
}

function checksOf(dir) {
  const checks = [];
  for (const entry of fs.readdirSync(dir, { recursive: true })) {
    if (path.basename(entry) === 'checks.json') checks.push(...JSON.parse(fs.readFileSync(path.join(dir, entry), 'utf8')));
  }
  return checks;
}

await main('mcp conformance test', 240000, world, async () => {
  assert.ok(fs.existsSync(SUITE), `${SUITE} is missing: the npm ci fixture installs it`);
  const listed = execFileSync('node', [SUITE, 'list', '--server'], { encoding: 'utf8' })
    .split('\n').map((line) => /^\s*-\s*(\S+)/.exec(line)?.[1]).filter(Boolean);
  assert.ok(listed.length > 10, `the suite lists its server scenarios: ${listed}`);
  const unsorted = listed.filter((name) => !APPLICABLE.includes(name) && !(name in SKIPPED));
  assert.deepEqual(unsorted, [], 'scenarios neither run nor skipped with a reason');
  for (const name of APPLICABLE) assert.ok(listed.includes(name), `the suite has no scenario ${name}`);

  world.init();
  const where = world.syncProjects();
  const token = world.token('conformance');
  const base = await world.startServer();
  const proxy = await startProxy(base, token);
  log(`tether serve at ${base} (demo at ${where.commit}), the suite through ${proxy}`);

  const results = path.join(world.work, 'results');
  const failed = [];
  for (const name of APPLICABLE) {
    const dir = path.join(results, name);
    let output = '';
    let exitCode = 0;
    try {
      // Asynchronously: the proxy answers on this process's event loop.
      ({ stdout: output } = await promisify(execFile)('node',
        [SUITE, 'server', '--url', `${proxy}/mcp`, '--scenario', name, '-o', dir], { timeout: 60000 }));
    } catch (error) {
      exitCode = error.status ?? 1;
      output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
    }
    const checks = fs.existsSync(dir) ? checksOf(dir) : [];
    const failures = checks.filter((c) => c.status === 'FAILURE');
    const warnings = checks.filter((c) => c.status === 'WARNING');
    const passed = checks.filter((c) => c.status === 'SUCCESS');
    log(`${name}: ${passed.length} passed, ${failures.length} failed, ${warnings.length} warnings` +
        (warnings.length ? ` (${warnings.map((w) => `${w.id}: ${w.errorMessage ?? w.details?.message ?? ''}`).join('; ')})` : ''));
    if (exitCode !== 0 || failures.length > 0 || checks.length === 0) {
      failed.push(name);
      process.stderr.write(`${name} (exit ${exitCode}):\n${output}\n${JSON.stringify(failures, null, 2)}\n`);
    }
  }
  for (const [name, reason] of Object.entries(SKIPPED)) log(`skipped ${name}: ${reason}`);
  world.proxy.close();
  assert.deepEqual(failed, [], 'scenarios that failed');
  log(`${APPLICABLE.length} scenarios passed, ${Object.keys(SKIPPED).length} skipped with their reasons`);
});
