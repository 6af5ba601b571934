// The world the MCP tests run in: real git repositories made here, a fresh
// tether config and database (SQLite, or a new database of the PostgreSQL
// test cluster when TETHER_TEST_PG_DIR is set), projects synced by the real
// `tether`, and `tether serve` on a free loopback port.
//
// Environment: TETHER_BIN (the tether binary); TETHER_TEST_PG_DIR (the test
// cluster of tests/support/pg_cluster.sh).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export const TETHER = process.env.TETHER_BIN;
export const PG_DIR = process.env.TETHER_TEST_PG_DIR || '';

// The files of the demo project, and what the tests look for in them.
export const GEOMETRY = [
  '#include <math.h>',
  '',
  '/* The area of a triangle from the lengths of its three sides (Heron\'s formula). */',
  'double compute_triangle_area(double a, double b, double c) {',
  '  double s = (a + b + c) / 2;',
  '  return sqrt(s * (s - a) * (s - b) * (s - c));',
  '}',
  '',
  '/* A string the text search finds. */',
  'static const char *kSentinel = "MAGIC_SENTINEL_42";',
  '',
  'int circle_count(void) { return 42; }',
  '',
].join('\n');
export const SENTINEL = { text: 'MAGIC_SENTINEL_42', path: 'src/geometry.c', line: 10 };
export const FUNCTION = { name: 'compute_triangle_area', path: 'src/geometry.c', start: 4, end: 7 };
export const LINES = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
// Longer than read_file's 256 KiB cap: 3,100 lines of 100 bytes.
export const BIG = Array.from({ length: 3100 }, (_, i) => `${String(i + 1).padStart(6, '0')} ${'x'.repeat(92)}`)
  .join('\n') + '\n';
export const SRC_FILES = ['src/geometry.c', 'src/lines.txt', 'src/nested/deep.h', 'src/util.py'];
export const OTHER_SECRET = 'TOP_SECRET_OF_THE_OTHER_TENANT';

export function log(message) {
  process.stdout.write(`${path.basename(process.argv[1])}: ${message}\n`);
}

export class World {
  constructor(prefix) {
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.config = path.join(this.work, 'tether.json');
    this.server = null;
    this.serverStderr = '';
    this.pgDatabase = null;
  }

  git(cwd, ...args) {
    execFileSync('git', args, {
      cwd,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env, HOME: this.work, GIT_CONFIG_NOSYSTEM: '1',
        GIT_AUTHOR_NAME: 'MCP Test', GIT_AUTHOR_EMAIL: 'mcp@test.invalid',
        GIT_COMMITTER_NAME: 'MCP Test', GIT_COMMITTER_EMAIL: 'mcp@test.invalid',
      },
    });
  }

  repository(name, files) {
    const repo = path.join(this.work, name);
    for (const [relative, text] of Object.entries(files)) {
      const file = path.join(repo, relative);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
    this.git(repo, 'init', '-q', '-b', 'main');
    this.git(repo, 'add', '-A');
    this.git(repo, 'commit', '-q', '-m', 'the files of the test');
    return repo;
  }

  tether(...args) {
    return execFileSync(TETHER, ['--config', this.config, ...args],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  // tether init on SQLite, or on a fresh database of the test cluster.
  init() {
    assert.ok(TETHER && fs.existsSync(TETHER), 'set TETHER_BIN to the tether binary');
    if (!PG_DIR) {
      this.tether('init');
      return;
    }
    const admin = fs.readFileSync(path.join(PG_DIR, 'url'), 'utf8').trim();
    const name = `mcp_${process.pid}_${Date.now()}`;
    execFileSync('psql', [admin, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${name}`],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    this.pgDatabase = { admin, name };
    this.tether('init', '--database', admin.slice(0, admin.lastIndexOf('/') + 1) + name);
  }

  // The demo project of the default tenant and a project of tenant "other",
  // both synced; returns what `tether project show --json` says of demo.
  syncProjects() {
    this.demoRepo = this.repository('demo', {
      'README.md': '# Demo\n\nThe project the MCP tests read.\n',
      'src/geometry.c': GEOMETRY,
      'src/lines.txt': LINES,
      'src/util.py': 'def parse_config_line(line):\n    """Splits a key=value line."""\n' +
                     '    key, _, value = line.partition("=")\n    return key.strip(), value.strip()\n',
      'src/nested/deep.h': '#pragma once\nint deep_function(int x);\n',
      'big/big.txt': BIG,
      'big/one-line.txt': `${'é'.repeat(150000)}\n`,  // 300,000 bytes on one line
    });
    this.otherRepo = this.repository('other', { 'secret.txt': `${OTHER_SECRET}\n` });
    this.tether('project', 'add', 'demo', '--repo', this.demoRepo);
    this.tether('sync', 'demo');
    this.tether('--tenant', 'other', 'project', 'add', 'secret', '--repo', this.otherRepo);
    this.tether('--tenant', 'other', 'sync', 'secret');
    const demo = JSON.parse(this.tether('--json', 'project', 'show', 'demo'));
    const project = demo.project ?? demo;
    assert.equal(project.branch, 'main');
    assert.match(project.last_synced_commit, /^[0-9a-f]{40}$/);
    return { project: 'demo', branch: project.branch, commit: project.last_synced_commit };
  }

  token(name, tenant = 'default') {
    const token = this.tether('token', 'create', '--name', name, '--tenant', tenant).trim();
    assert.match(token, /^tether_/);
    return token;
  }

  // Starts `tether serve` on a free loopback port; resolves to its base URL.
  startServer() {
    return new Promise((resolve, reject) => {
      this.server = spawn(TETHER, ['--config', this.config, 'serve', '--listen', '127.0.0.1:0'],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      this.server.stderr.on('data', (chunk) => { this.serverStderr += chunk; });
      this.server.on('exit', (code, signal) => {
        this.server.exited = true;
        reject(new Error(`tether serve exited (${code ?? signal}) before listening`));
      });
      readline.createInterface({ input: this.server.stdout }).on('line', (line) => {
        const listening = /^listening on (.+):(\d+)$/.exec(line);
        if (listening) resolve(`http://${listening[1]}:${listening[2]}`);
      });
      setTimeout(() => reject(new Error('tether serve did not listen within 30 s')), 30000);
    });
  }

  async stopServer() {
    if (!this.server || this.server.exited) return;
    const exited = new Promise((resolve) => this.server.once('exit', resolve));
    this.server.kill('SIGTERM');
    const timer = setTimeout(() => this.server.kill('SIGKILL'), 20000);
    await exited;
    clearTimeout(timer);
  }

  async cleanUp() {
    await this.stopServer().catch(() => {});
    if (this.pgDatabase) {
      try {
        execFileSync('psql', [this.pgDatabase.admin, '-q', '-c',
          `DROP DATABASE IF EXISTS ${this.pgDatabase.name} WITH (FORCE)`], { stdio: 'ignore' });
      } catch (error) {
        // The cluster goes away at the end of the run anyway.
      }
    }
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}

// Runs `body` with a deadline; exits 0 when it passed, 1 otherwise.
export async function main(name, deadlineMs, world, body) {
  const deadline = setTimeout(() => {
    process.stderr.write(`${name}: FAILED: gave up after ${deadlineMs / 1000} s\n`);
    if (world.server && !world.server.exited) world.server.kill('SIGKILL');
    process.exit(1);
  }, deadlineMs);
  let failed = false;
  try {
    await body();
    log('all checks passed');
  } catch (error) {
    failed = true;
    process.stderr.write(`${name}: FAILED: ${error.stack || error}\n`);
    if (world.serverStderr) process.stderr.write(`tether serve's stderr:\n${world.serverStderr}\n`);
  }
  await world.cleanUp();
  clearTimeout(deadline);
  process.exit(failed ? 1 : 0);
}
