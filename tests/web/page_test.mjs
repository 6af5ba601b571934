// The web page end to end in a real browser: Debian's chromium, headless,
// driven by playwright-core, against the real `tether serve` on a free
// loopback port with a fresh database (SQLite, or PostgreSQL with
// TETHER_TEST_PG_DIR) and real git repositories.
//
// In the browser: a wrong token is refused and the right one accepted; an
// invalid project shows the API's error next to the field it names; a
// project is added, a branch picked and saved; "Sync now" drives the
// progress bar to 100% from the event stream and the run appears in the
// history with its duration, bytes read and when it started. Then the code
// browser: the file tree and its filter, a file with line numbers, the
// `code` analyzer's outline (a click lands on the symbol's line) and the
// docs page; a large file rendered a part at a time; a binary file named as
// such; hostile paths and content shown as text, never run; search in the
// three modes, each result opening the file at its lines; the file's
// address opened directly and after a reload. Then the actions: syncing
// disabled and enabled again; without the stream the page polls; a failed
// run's bar drawn as failed; a sync held in its write moves the bar while
// "Sync now" is disabled; a sync cancelled from the page; a project removed
// after a confirmation (and kept when the dialog says no); the integrity
// section for an admin token. Every view at 420 px is no wider than the
// screen. Screenshots of each view, desktop and phone, go to
// $TETHER_WEB_ARTIFACTS (desktop-*.png, phone-*.png).
//
// Environment: TETHER_BIN (the tether binary), TETHER_GATED_PROVIDER (the
// gated test provider, tests/engine/server/fixtures), TETHER_WEB_ARTIFACTS
// (where screenshots go), TETHER_CHROMIUM (default /usr/bin/chromium);
// TETHER_TEST_PG_DIR (the test cluster of tests/support/pg_cluster.sh): run
// on a fresh PostgreSQL database of that cluster instead of SQLite.
// Exits 0 when every check passed, 1 otherwise; gives up after DEADLINE_MS.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const TETHER = process.env.TETHER_BIN;
const ARTIFACTS = process.env.TETHER_WEB_ARTIFACTS || process.cwd();
const CHROMIUM = process.env.TETHER_CHROMIUM || '/usr/bin/chromium';
const DEADLINE_MS = 240000;
const FILES = 300;        // in src/ on main; the release branch adds docs/
const BIG_LINES = 5000;   // big/lines.txt: more than the page renders at once (2,000)
const HELD_FILES = 200;   // the gated provider's commit
const HELD_AFTER = 130;   // blobs it reads before it holds the write (2 ms each)
const PHONE = { width: 420, height: 900 };
const DESKTOP = { width: 1280, height: 1000 };
const GATED_PROVIDER = process.env.TETHER_GATED_PROVIDER;
const PG_DIR = process.env.TETHER_TEST_PG_DIR || '';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tether-web-'));
let server = null;
let pgDatabase = null;  // {admin, name} of the database made for this run
let serverStderr = '';
let context = null;
let page = null;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function log(message) {
  process.stdout.write(`web test: ${message}\n`);
}

// ---- the world: a git repository, a config, a token, the server ---------

function git(cwd, ...args) {
  execFileSync('git', args, {
    cwd,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env, HOME: work, GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Web Test', GIT_AUTHOR_EMAIL: 'web@test.invalid',
      GIT_COMMITTER_NAME: 'Web Test', GIT_COMMITTER_EMAIL: 'web@test.invalid',
    },
  });
}

function write(root, relative, text) {
  const file = path.join(root, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

// The code the browser reads: Python and JavaScript (so the `code` analyzer
// has outlines and the docs analyzer pages), a large file, a binary one,
// and hostile names and content.
const PYTHON = `"""Tokens and JSON documents for the web page test."""
import json


class Tokenizer:
    """Splits source text into tokens."""

    def __init__(self, text):
        self.text = text
        self.position = 0

    def next_token(self):
        """Returns the next word of the text, or None at its end."""
        rest = self.text[self.position:].lstrip()
        if not rest:
            return None
        word = rest.split()[0]
        self.position = self.text.index(word, self.position) + len(word)
        return word


def parse_json_document(text):
    """Parse a JSON document into a dictionary of values."""
    return json.loads(text)
${'\n# padding line\n'.repeat(30)}
def count_words(text):
    """Counts the words of a text with a Tokenizer."""
    tokenizer = Tokenizer(text)
    count = 0
    while tokenizer.next_token() is not None:
        count += 1
    return count
`;
const HOSTILE_TEXT = '<img src=x onerror="window.__injected = 2"><script>window.__injected = 3</script>';
const JAVASCRIPT = `// Renders rows for a table: TETHER_MARKER_42 marks this line.
export function renderRows(rows) {
  return rows.map((row) => \`<tr><td>\${row}</td></tr>\`).join('');
}

// Never shown as markup: ${HOSTILE_TEXT}
export class Table {
  constructor(rows) {
    this.rows = rows;
  }

  html() {
    return renderRows(this.rows);
  }
}
`;
const MINIFIED = 'var a=1;'.repeat(3000);  // one line of 24,000 characters
const HOSTILE_PATH = 'hostile/<img src=x onerror=window.__injected=4>.md';

// The line (1-based) of `text` that holds `needle`.
function lineOf(text, needle) {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  assert.ok(index >= 0, `${needle} is in the text`);
  return index + 1;
}

// main: README.md, FILES files under src/, code under lib/ and web/, a
// large file, a binary one and a hostile name; release/1.0 adds RELEASE.md
// (markup that must be shown as text), a path that needs escaping in a
// URL, and 20 notes.
const MAIN_FILES = 1 + FILES + 6;
function makeRepository() {
  const repo = path.join(work, 'repo');
  fs.mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  write(repo, 'README.md', '# Demo\n\nA repository for the web page test.\n');
  for (let i = 0; i < FILES; ++i) {
    write(repo, `src/mod${i % 10}/file${String(i).padStart(3, '0')}.txt`, `file ${i}\n${'line\n'.repeat(i % 7)}`);
  }
  write(repo, 'lib/tokenizer.py', PYTHON);
  write(repo, 'web/render.js', JAVASCRIPT);
  write(repo, 'web/bundle.min.js', `${MINIFIED}\n`);
  write(repo, 'big/lines.txt', Array.from({ length: BIG_LINES }, (_, i) => `big line ${i + 1}\n`).join(''));
  fs.mkdirSync(path.join(repo, 'assets'));
  fs.writeFileSync(path.join(repo, 'assets/logo.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 0xff, 0, 1, 2]));
  write(repo, HOSTILE_PATH, `# Hostile\n\n${HOSTILE_TEXT}\n`);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'initial');
  git(repo, 'checkout', '-q', '-b', 'release/1.0');
  write(repo, 'RELEASE.md', 'Release 1.0\n<img src=x onerror="window.__injected = 1"><b>not bold</b>\n');
  write(repo, 'docs/a b&c.md', 'a path with a space and an ampersand\n');
  for (let i = 0; i < 20; ++i) write(repo, `docs/note-${String(i).padStart(2, '0')}.md`, `note ${i}\n`);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'release 1.0');
  git(repo, 'checkout', '-q', 'main');
  return repo;
}

// A fresh database on the test cluster; returns its URL.
function makePostgresDatabase() {
  const admin = fs.readFileSync(path.join(PG_DIR, 'url'), 'utf8').trim();
  const name = `web_${process.pid}_${Date.now()}`;
  execFileSync('psql', [admin, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${name}`],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  pgDatabase = { admin, name };
  return admin.slice(0, admin.lastIndexOf('/') + 1) + name;
}

function tether(...args) {
  return execFileSync(TETHER, ['--config', path.join(work, 'tether.json'), ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

// Starts `tether serve` on a free port; resolves to its base URL.
function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(TETHER, ['--config', path.join(work, 'tether.json'), 'serve', '--listen', '127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stderr.on('data', (chunk) => { serverStderr += chunk; });
    server.on('exit', (code, signal) => {
      server.exited = true;
      reject(new Error(`tether serve exited (${code ?? signal}) before listening`));
    });
    const lines = readline.createInterface({ input: server.stdout });
    lines.on('line', (line) => {
      const listening = /^listening on (.+):(\d+)$/.exec(line);
      if (listening) resolve(`http://${listening[1]}:${listening[2]}`);
    });
    setTimeout(() => reject(new Error('tether serve did not listen within 30 s')), 30000);
  });
}

async function stopServer() {
  if (!server || server.exited) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 20000);
  await exited;
  clearTimeout(timer);
}

// ---- the browser -----------------------------------------------------------

async function launchBrowser() {
  return chromium.launchPersistentContext(path.join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: DESKTOP,
  });
}

const text = async (selector) => (await page.locator(selector).textContent()) ?? '';

async function expectText(selector, pattern, what) {
  await page.waitForFunction(
    ([s, source, flags]) => new RegExp(source, flags).test(document.querySelector(s)?.textContent ?? ''),
    [selector, pattern.source, pattern.flags]).catch(async () => {
    assert.fail(`${what}: ${selector} reads ${JSON.stringify(await text(selector))}, expected ${pattern}`);
  });
}

// Clicks "Sync now" and waits for the page to tell of the accepted run (a
// run other than the last one it told of); returns the run's id.
let lastStarted = null;
async function syncNow(what) {
  await page.getByRole('button', { name: 'Sync now' }).click();
  const started = await page.waitForFunction((previous) => {
    const m = /Run (\d+) started/.exec(document.querySelector('#sync-message')?.textContent ?? '');
    return m && m[1] !== previous ? m[1] : null;
  }, lastStarted).catch(async () => {
    assert.fail(`${what}: #sync-message reads ${JSON.stringify(await text('#sync-message'))}, expected a new run`);
  });
  lastStarted = await started.jsonValue();
  return lastStarted;
}

// Screenshots: the view as it is now, on the desktop.
async function shot(name) {
  const file = path.join(ARTIFACTS, `desktop-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// The view at phone width: nothing wider than the screen, and its
// screenshot; then back to the desktop.
async function phone(name) {
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(100);
  const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.body.scrollWidth]);
  await page.screenshot({ path: path.join(ARTIFACTS, `phone-${name}.png`), fullPage: true });
  const wide = widths[0] > PHONE.width ? await page.evaluate((limit) => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > limit + 1 && e.getClientRects().length > 0)
    .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`), PHONE.width) : [];
  assert.ok(widths[0] <= PHONE.width, `${name} at ${PHONE.width} px is ${widths[0]} px wide: ${wide.join(', ')}`);
  await page.setViewportSize(DESKTOP);
}

async function goTo(hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}

// The page's own address for a file at lines, as a person would paste it.
function fileUrl(base, project, file, from, to) {
  const encoded = file.split('/').map(encodeURIComponent).join('/');
  return `${base}/#/p/${encodeURIComponent(project)}/file/${encoded}${from ? `?L=${from}${to ? `-${to}` : ''}` : ''}`;
}

// Types `text` into the tree's filter and waits for the list to show it.
async function filterTree(text) {
  await page.getByLabel('Filter files').fill(text);
  await page.waitForFunction((wanted) => document.getElementById('tree').dataset.filter === wanted,
    text.trim().toLowerCase());
}

// Lines the page marks in the open file, as [first, last].
async function markedLines() {
  return page.evaluate(() => {
    const marked = [...document.querySelectorAll('#code .line[data-hit]')].map((l) => Number(l.dataset.line));
    return marked.length ? [marked[0], marked[marked.length - 1]] : [];
  });
}

// True when line `n` of the open file is inside the code box's visible part.
async function lineVisible(n) {
  return page.evaluate((line) => {
    const node = document.getElementById(`L${line}`);
    const box = document.getElementById('code');
    if (!node) return false;
    const a = node.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    return a.top >= b.top - 1 && a.bottom <= b.bottom + 1 && a.top >= 0 && a.bottom <= window.innerHeight;
  }, n);
}

async function search(q, mode) {
  await page.getByLabel('Search the code').fill(q);
  await page.getByLabel(mode === 'text' ? 'Text' : mode === 'symbol' ? 'Symbol' : 'Semantic', { exact: true }).check();
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expectText('#search-message', /result|Nothing found|No search/, `the ${mode} search for ${q}`);
}

// ---- the checks ------------------------------------------------------------

async function run() {
  assert.ok(TETHER && fs.existsSync(TETHER), 'set TETHER_BIN to the tether binary');
  assert.ok(GATED_PROVIDER && fs.existsSync(GATED_PROVIDER), 'set TETHER_GATED_PROVIDER to the test provider');
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/install-deps.sh)`);
  const started = Date.now();
  const repo = makeRepository();
  if (PG_DIR) {
    tether('init', '--database', makePostgresDatabase());
    log('on PostgreSQL');
  } else {
    tether('init');
  }
  // The gated test provider, for syncs the test holds; the analyzers the
  // code browser shows (tether init configures them: checked here).
  const configFile = path.join(work, 'tether.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  const analyzers = config.plugins.filter((p) => p.kind === 'analyzer').map((p) => p.name);
  for (const wanted of ['code', 'docs', 'embeddings']) assert.ok(analyzers.includes(wanted), `${wanted} configured`);
  config.plugins.push({ name: 'gated-provider', kind: 'provider', path: GATED_PROVIDER });
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const token = tether('token', 'create', '--name', 'web-test').trim();
  assert.match(token, /^tether_/);
  const base = await startServer();
  log(`server at ${base}, repository ${repo}`);

  context = await launchBrowser();
  page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(20000);
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // The browser logs each error status it receives; the ones this test
  // provokes (a wrong token, bad bodies, the 409, a binary file's missing
  // docs) are expected.
  const provoked = /^Failed to load resource: the server responded with a status of (400|401|404|409|422) /;
  page.on('console', (message) => {
    if (message.type() === 'error' && !provoked.test(message.text())) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  const foreign = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(`${base}/`)) foreign.push(request.url());
  });

  // The page loads without a token and asks for one.
  const loaded = await page.goto(`${base}/`);
  assert.equal(loaded.status(), 200);
  await page.getByLabel('Token', { exact: true }).waitFor();
  assert.equal(await page.locator('#app').isHidden(), true, 'the app waits for a token');
  await shot('token');
  await phone('token');

  // A wrong token is refused, the right one accepted; the stream goes live.
  await page.getByLabel('Token', { exact: true }).fill('tether_not-a-token');
  await page.getByRole('button', { name: 'Use this token' }).click();
  await expectText('#token-error', /refused/, 'a wrong token');
  await page.getByLabel('Token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Use this token' }).click();
  await page.locator('#app').waitFor();
  await page.locator('#connection[data-stream="live"]').waitFor();
  log('token accepted, event stream live');

  // The API's validation errors appear next to the field they name.
  await page.getByLabel('Name', { exact: true }).fill('-bad name');
  await page.getByLabel('Repository', { exact: true }).fill(repo);
  await page.getByRole('button', { name: 'Add project' }).click();
  await expectText('#add-name-error', /\S/, 'an invalid name');
  assert.equal(await page.locator('#add-name').getAttribute('aria-invalid'), 'true');
  assert.equal(await text('#add-repo-error'), '', 'only the named field shows the error');
  await page.getByLabel('Name', { exact: true }).fill('demo');
  await page.getByLabel('Repository', { exact: true }).fill(path.join(work, 'no-such-repo'));
  await page.getByRole('button', { name: 'Add project' }).click();
  await expectText('#add-repo-error', /\S/, 'a repository that does not exist');
  assert.equal(await text('#add-name-error'), '', 'the name is fine now');

  // Add the project for real: the page opens it.
  await page.getByLabel('Repository', { exact: true }).fill(repo);
  await page.getByLabel(/Provider/).fill('local-git');
  await page.getByRole('button', { name: 'Add project' }).click();
  await expectText('#project-heading', /^demo$/, 'the new project is open');
  assert.equal(new URL(page.url()).hash, '#/p/demo', 'the project has an address');
  await expectText('#project-facts', /Statusnever synced/, 'the new project\'s status');

  // Pick the release branch from the selector and save it.
  await page.locator('#branch-select option[value="release/1.0"]').waitFor({ state: 'attached' });
  const branches = await page.locator('#branch-select option').evaluateAll((options) => options.map((o) => o.value));
  assert.deepEqual(branches.sort(), ['main', 'release/1.0']);
  await page.getByLabel('Branch', { exact: true }).selectOption('release/1.0');
  await page.getByRole('button', { name: 'Save branch' }).click();
  await expectText('#branch-error', /release\/1\.0 selected/, 'the saved branch');
  await expectText('#project-facts', /Branchrelease\/1\.0/, 'the facts show the branch');

  // Sync now: the bar follows the events to 100%, "Sync now" is disabled
  // while the run is active, and the run is listed with its duration, the
  // bytes it read and how long ago it started.
  await page.evaluate(() => {
    window.__progress = [];
    window.__syncDisabled = false;
    const bar = document.getElementById('progress');
    new MutationObserver(() => {
      window.__progress.push([bar.value, bar.dataset.source]);
      if (!bar.dataset.outcome && bar.dataset.source === 'events') {
        window.__syncDisabled ||= document.getElementById('sync-now').disabled;
      }
    }).observe(bar, { attributes: true, attributeFilter: ['value', 'data-source'] });
  });
  const runId = await syncNow('the accepted sync');
  await page.locator(`#progress[data-outcome][data-run="${runId}"]`).waitFor({ state: 'attached', timeout: 90000 });
  assert.equal(await page.locator('#progress').getAttribute('data-outcome'), 'succeeded');
  assert.equal(await page.locator('#progress').evaluate((bar) => bar.value), 100);
  assert.equal(await page.locator('#progress').getAttribute('data-source'), 'events', 'driven by the stream');
  const added = MAIN_FILES + 22;
  await expectText('#progress-text', new RegExp(`Run ${runId} succeeded.*${added} added`), 'the outcome');
  const seen = await page.evaluate(() => window.__progress);
  assert.ok(seen.some(([, source]) => source === 'events'), `progress from events: ${JSON.stringify(seen)}`);
  assert.equal(await page.evaluate(() => window.__syncDisabled), true, '"Sync now" disabled while the run was active');
  const firstRow = `#runs-body tr[data-run="${runId}"]`;
  await page.locator(firstRow).waitFor();
  await expectText(firstRow, /succeeded/, 'the run in the history');
  await expectText(`${firstRow} .timings`, /write \d/, 'the run\'s phase timings');
  await expectText(`${firstRow} td.duration`, /^\d+(\.\d+)? (ms|s)$|^\d+ min \d+ s$/, 'the run\'s duration');
  await expectText(`${firstRow} td.bytes`, /^\d+(\.\d)? (KiB|MiB)$/, 'the bytes read, in a size for people');
  await expectText(`${firstRow} time`, /^(just now|\d+ s ago|1 min ago)$/, 'when it started, relative');
  await page.locator('#sync-now:enabled').waitFor();
  log(`run ${runId} reached 100% (${seen.length} progress updates) and is in the history`);

  // A second real sync has nothing new: it still ends at 100%.
  const secondId = await syncNow('the second sync');
  assert.notEqual(secondId, runId);
  await page.locator(`#progress[data-outcome="noop"][data-run="${secondId}"]`).waitFor({ state: 'attached' });
  await page.locator(`#runs-body tr[data-run="${secondId}"]`).waitFor();
  assert.equal(await page.locator('#runs-body tr').count(), 2);
  await shot('overview');
  await phone('overview');

  // ---- the code browser ----------------------------------------------------
  await page.getByRole('link', { name: 'Code', exact: true }).click();
  await expectText('#tree-status', new RegExp(`^${added} files\\.$`), 'the tree counts every file');
  // Before a file is opened: the project's documentation index, its README in it.
  await expectText('#file-docs-title', /^Documentation of the project$/, 'the project\'s documentation');
  await expectText('#file-docs-body', /A repository for the web page test\./, 'the README in the project\'s index');
  await shot('code');
  await phone('code');
  // Folders open on a click; their files are links.
  await page.locator('#tree details[data-folder="src"] > summary').click();
  await page.locator('#tree details[data-folder="src/mod3"] > summary').click();
  await page.locator('#tree a[data-path="src/mod3/file003.txt"]').waitFor();
  // The filter narrows the tree to matching paths.
  // By keyboard: the filter, then Tab to the first match and Enter opens it.
  await page.getByLabel('Filter files').focus();
  await page.keyboard.type('render.js');
  await page.waitForFunction(() => document.getElementById('tree').dataset.filter === 'render.js');
  await expectText('#tree-status', /^1 file match\.$/, 'the filter typed');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.path), 'web/render.js', 'Tab reaches the match');
  await page.keyboard.press('Enter');
  await expectText('#file-title', /^web\/render\.js$/, 'the file opened by keyboard');
  await filterTree('tokenizer');
  await expectText('#tree-status', /^1 file match\.$/, 'the filter');
  assert.deepEqual(await page.locator('#tree a').evaluateAll((links) => links.map((a) => a.textContent)),
    ['lib/tokenizer.py']);
  await filterTree('note-1');
  await expectText('#tree-status', /^10 files match\.$/, 'the filter finds docs/note-10 … 19');
  await filterTree('.PY');
  await expectText('#tree-status', /^1 file match\.$/, 'the filter ignores case');
  await page.locator('#tree a[data-path="lib/tokenizer.py"]').click();
  await expectText('#file-title', /^lib\/tokenizer\.py$/, 'the file opened from the tree');
  assert.equal(new URL(page.url()).hash, '#/p/demo/file/lib/tokenizer.py');
  assert.equal(await page.title(), 'lib/tokenizer.py · demo · Tether', 'the window names the file');

  // Line numbers beside every line, the text as it is.
  const pyLines = PYTHON.split('\n').length - 1;
  await expectText('#file-note', new RegExp(`^${pyLines} lines\\.$`), 'the line count');
  assert.equal(await page.locator('#code .line').count(), pyLines);
  assert.equal(await text('#L1 .ln'), '1');
  assert.equal(await text(`#L${pyLines} .ln`), String(pyLines));
  assert.equal(await text(`#L${lineOf(PYTHON, 'class Tokenizer')} .lc`), 'class Tokenizer:');

  // The outline: the code analyzer's symbols, methods inside their class.
  await page.locator('#outline a').first().waitFor();
  const outline = await page.locator('#outline li').evaluateAll((items) => items.map((li) => li.textContent));
  for (const name of ['Tokenizer', 'next_token', 'parse_json_document', 'count_words']) {
    assert.ok(outline.some((entry) => entry.startsWith(name)), `${name} in the outline: ${JSON.stringify(outline)}`);
  }
  assert.equal(await page.locator('#outline li.level-1 a', { hasText: 'next_token' }).count(), 1, 'a method indented');
  // A click on an entry lands at its line, marked and in view.
  const countLine = lineOf(PYTHON, 'def count_words');
  await page.locator('#outline a', { hasText: 'count_words' }).click();
  await page.waitForFunction((n) => document.querySelector(`#L${n}`)?.hasAttribute('data-hit'), countLine);
  const marked = await markedLines();
  assert.equal(marked[0], countLine, `the outline entry's first line is marked: ${marked}`);
  assert.ok(marked[1] >= lineOf(PYTHON, 'return count'), `the whole function is marked: ${marked}`);
  assert.ok(await lineVisible(countLine), 'the symbol\'s line is scrolled into view');
  assert.match(new URL(page.url()).hash, new RegExp(`^#/p/demo/file/lib/tokenizer\\.py\\?L=${countLine}-\\d+$`));
  // The documentation page of the file, beside it.
  await expectText('#file-docs-body', /parse_json_document/, 'the file\'s documentation');
  await expectText('#file-docs-body', /Parse a JSON document into a dictionary of values/, 'the doc comment');
  await shot('file');
  await phone('file');
  log(`file view: ${pyLines} lines, outline of ${outline.length}, line ${countLine} reached from the outline`);

  // A line number marks its line in the address.
  await page.locator('#L3 .ln').click();
  await page.waitForFunction(() => location.hash.endsWith('?L=3'));
  assert.deepEqual(await markedLines(), [3, 3]);

  // A large file: the first 2,000 lines, then more on request; an address
  // beyond them renders up to the line it names.
  await filterTree('big/');
  await page.locator('#tree a[data-path="big/lines.txt"]').click();
  await expectText('#file-note', new RegExp(`^${BIG_LINES} lines; the first 2000 shown\\.$`), 'a large file in parts');
  assert.equal(await page.locator('#code .line').count(), 2000);
  await page.getByRole('button', { name: /^Show more lines/ }).click();
  assert.equal(await page.locator('#code .line').count(), 4000);
  await goTo('#/p/demo/file/big/lines.txt?L=4500-4502');
  await page.waitForFunction(() => document.querySelector('#L4500')?.hasAttribute('data-hit'));
  assert.deepEqual(await markedLines(), [4500, 4502]);
  assert.equal(await text('#L4500 .lc'), 'big line 4500');
  assert.ok(await lineVisible(4500), 'line 4500 in view');

  // A minified file's one long line is cut, saying so.
  await filterTree('bundle');
  await page.locator('#tree a[data-path="web/bundle.min.js"]').click();
  await expectText('#L1 .lc', new RegExp(`^(var a=1;)+ … ${MINIFIED.length - 5000} more characters on this line$`),
    'a long line cut');

  // A binary file is said to be one.
  await filterTree('logo');
  await page.locator('#tree a[data-path="assets/logo.bin"]').click();
  await expectText('#file-note', /^Binary file \(12 bytes\): not shown\.$/, 'a binary file');
  assert.equal(await page.locator('#code').isHidden(), true);

  // Hostile names and content are text: nothing runs, no element is made.
  await filterTree('onerror');
  await page.locator('#tree a', { hasText: 'onerror' }).click();
  await expectText('#tree-status', /^1 file match\.$/, 'the hostile path found by its name');
  await expectText('#file-title', /^hostile\/<img src=x onerror=window\.__injected=4>\.md$/, 'the hostile path as text');
  await expectText('#code', /<script>window\.__injected = 3<\/script>/, 'hostile content as text');
  // Its address holds the name percent-encoded; a reload opens it again.
  assert.match(new URL(page.url()).hash, /^#\/p\/demo\/file\/hostile\/%3Cimg%20src%3Dx%20onerror%3Dwindow.__injected%3D4%3E\.md$/);
  await page.reload();
  await expectText('#file-title', /^hostile\/<img src=x onerror=window\.__injected=4>\.md$/, 'the hostile path reloaded');
  await expectText('#code', /<script>window\.__injected = 3<\/script>/, 'hostile content reloaded');
  await filterTree('a b&c');
  await page.locator('#tree a[data-path="docs/a b&c.md"]').click();
  await expectText('#L1 .lc', /^a path with a space and an ampersand$/, 'a path that needs escaping');
  assert.equal(new URL(page.url()).hash, '#/p/demo/file/docs/a%20b%26c.md');
  await page.reload();
  await expectText('#L1 .lc', /^a path with a space and an ampersand$/, 'a path that needs escaping, reloaded');
  await filterTree('render');
  await page.locator('#tree a[data-path="web/render.js"]').click();
  await expectText(`#L${lineOf(JAVASCRIPT, 'Never shown')} .lc`, /onerror=/, 'hostile JavaScript as text');
  await page.locator('#outline a', { hasText: 'renderRows' }).waitFor();
  assert.equal(await page.evaluate(() => window.__injected), undefined, 'repository content ran');
  assert.equal(await page.locator('#app img, #app script, #app b').count(), 0, 'repository content made elements');
  await filterTree('');
  await expectText('#tree-status', new RegExp(`^${added} files\\.$`), 'the whole tree again');
  assert.equal(await page.locator('#tree a[aria-current="page"]').getAttribute('data-path'), 'web/render.js',
    'the open file marked in the tree, its folder opened');
  await shot('tree');
  await phone('tree');

  // The address of a file at lines opens it directly, and again after a reload.
  const markerLine = lineOf(JAVASCRIPT, 'TETHER_MARKER_42');
  const parseLine = lineOf(PYTHON, 'def parse_json_document');
  await page.goto(fileUrl(base, 'demo', 'lib/tokenizer.py', parseLine, parseLine + 2));
  await page.waitForFunction((n) => document.querySelector(`#L${n}`)?.hasAttribute('data-hit'), parseLine);
  assert.deepEqual(await markedLines(), [parseLine, parseLine + 2]);
  await page.reload();
  await page.waitForFunction((n) => document.querySelector(`#L${n}`)?.hasAttribute('data-hit'), parseLine);
  assert.ok(await lineVisible(parseLine), 'the marked line in view after a reload');
  await expectText('#L' + parseLine + ' .lc', /def parse_json_document/, 'the line the address names');
  log('a file\'s address opens it at its lines, also after a reload');

  // ---- search: three modes, results open at their lines -------------------
  await page.getByRole('link', { name: 'Search', exact: true }).click();
  await search('TETHER_MARKER_42', 'text');
  await expectText('#search-message', /^1 result \(text\)/, 'the text search');
  await expectText('#search-results', new RegExp(`web/render\\.js:${markerLine}`), 'the text hit\'s place');
  await expectText('#search-results .snippet', /TETHER_MARKER_42 marks this line/, 'the text hit\'s snippet');
  await shot('search-text');
  await phone('search-text');
  await page.locator('#search-results a').first().click();
  await page.waitForFunction((n) => document.querySelector(`#L${n}`)?.hasAttribute('data-hit'), markerLine);
  await expectText('#file-title', /^web\/render\.js$/, 'the text hit\'s file');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'file-title', 'the focus moves to the file');
  assert.deepEqual(await markedLines(), [markerLine, markerLine]);
  // Back to the search: the results are still there.
  await page.goBack();
  await expectText('#search-message', /^1 result \(text\)/, 'the search after going back');
  assert.equal(await page.getByLabel('Search the code').inputValue(), 'TETHER_MARKER_42');
  // The API's results link to the same place (`tether search --json` too).
  const answer = await fetch(`${base}/api/v1/search?project=demo&q=TETHER_MARKER_42`,
    { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.json());
  assert.equal(answer.hits.length, 1);
  await page.goto(base + answer.hits[0].link);
  await page.waitForFunction((n) => document.querySelector(`#L${n}`)?.hasAttribute('data-hit'), markerLine);
  await expectText('#file-title', /^web\/render\.js$/, 'the file the API\'s link names');
  await page.getByRole('link', { name: 'Search', exact: true }).click();

  await search('tokeniz', 'symbol');
  await expectText('#search-results', /Tokenizer \(class\)/, 'the symbol hit');
  const classLine = lineOf(PYTHON, 'class Tokenizer');
  await expectText('#search-results', new RegExp(`lib/tokenizer\\.py:${classLine}-\\d+`), 'the symbol\'s lines');
  await shot('search-symbol');
  await phone('search-symbol');
  await page.locator('#search-results a', { hasText: 'Tokenizer (class)' }).click();
  await page.waitForFunction((n) => document.querySelector(`#L${n}`)?.hasAttribute('data-hit'), classLine);
  const classMarked = await markedLines();
  assert.ok(classMarked[1] >= lineOf(PYTHON, 'return word'), `the class's lines: ${classMarked}`);
  await page.goBack();

  await search('parse a json document into a dictionary', 'semantic');
  await expectText('#search-results li:first-child', /lib\/tokenizer\.py:\d+/, 'the nearest chunk is the Python file');
  const top = await page.locator('#search-results li:first-child a').getAttribute('href');
  const range = /\?L=(\d+)(?:-(\d+))?$/.exec(top);
  assert.ok(range && Number(range[1]) <= parseLine && parseLine <= Number(range[2] || range[1]),
    `the top chunk holds parse_json_document (line ${parseLine}): ${top}`);
  await expectText('#search-results li:first-child', /score 0\.\d{3}/, 'the semantic score');
  await expectText('#search-message', /nearest of \d+ chunks \(hashing/, 'how many chunks were compared, in which space');
  await shot('search-semantic');
  await phone('search-semantic');
  await page.locator('#search-results li:first-child a').click();
  await page.waitForFunction((n) => document.querySelector(`#L${n}`)?.hasAttribute('data-hit'), parseLine);
  await page.goBack();
  // A query the API refuses says why, naming the parameter's rule.
  await search('ab', 'text');
  await expectText('#search-message', /^No search: .*3/, 'a text query too short');
  assert.equal(await page.evaluate(() => window.__injected), undefined);
  log('searched by text, symbol and meaning; each result opened at its lines');

  // ---- the projects list --------------------------------------------------
  await page.getByRole('link', { name: 'Projects', exact: true }).click();
  await expectText('#projects-body tr[data-project="demo"]', /synced/, 'the project\'s status in the list');
  await expectText('#projects-body tr[data-project="demo"] time', /just now|s ago|min ago/, 'synced when, relative');
  await shot('projects');
  await phone('projects');
  await page.getByRole('link', { name: 'Open project demo' }).click();
  await expectText('#project-heading', /^demo$/, 'opened from the list');

  // ---- actions: disable and enable ---------------------------------------
  await page.getByRole('button', { name: 'Disable syncing' }).click();
  await expectText('#project-facts', /Syncingdisabled/, 'syncing disabled');
  assert.equal(await page.locator('#sync-now').isDisabled(), true, '"Sync now" disabled with syncing');
  await page.getByRole('button', { name: 'Enable syncing' }).click();
  await expectText('#project-facts', /Syncingenabled/, 'syncing enabled again');
  await page.locator('#sync-now:enabled').waitFor();

  assert.deepEqual(foreign, [], 'the page fetches nothing from elsewhere');
  assert.deepEqual(problems, [], 'the page logs no errors');

  // Without the event stream the page polls the run: it still ends at 100%.
  await page.route('**/api/v1/events', (route) => route.abort());
  await page.reload();
  await page.locator('#connection[data-stream="down"]').waitFor();
  await expectText('#project-heading', /^demo$/, 'the open project after a reload');
  const polledId = await syncNow('a sync without the stream');
  await page.locator(`#progress[data-outcome="noop"][data-run="${polledId}"]`).waitFor({ state: 'attached' });
  assert.equal(await page.locator('#progress').getAttribute('data-source'), 'polling');
  assert.equal(await page.locator('#progress').evaluate((bar) => bar.value), 100);
  log(`without the stream, run ${polledId} reached 100% by polling`);

  // A failed run shows its error, and its bar is drawn as failed.
  await page.unroute('**/api/v1/events');
  problems.length = 0;  // the aborted stream's errors were provoked
  await page.reload();
  await page.locator('#connection[data-stream="live"]').waitFor();
  await expectText('#project-heading', /^demo$/, 'the open project after a reload');
  git(repo, 'branch', '-D', 'release/1.0');
  const failedId = await syncNow('a sync of a deleted branch');
  await page.locator(`#progress[data-outcome="failed"][data-run="${failedId}"]`).waitFor({ state: 'attached' });
  await expectText('#progress-text', /failed.*release\/1\.0/, 'the failed run\'s error');
  const colours = await page.evaluate(() => {
    const bar = document.getElementById('progress');
    const probe = document.createElement('div');
    probe.style.color = getComputedStyle(bar).getPropertyValue('--bar').trim();
    document.body.append(probe);
    const barColour = getComputedStyle(probe).color;
    probe.style.color = getComputedStyle(document.documentElement).getPropertyValue('--bad').trim();
    const bad = getComputedStyle(probe).color;
    probe.style.color = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim();
    const accent = getComputedStyle(probe).color;
    probe.remove();
    return { barColour, bad, accent, border: getComputedStyle(bar).borderTopColor };
  });
  assert.equal(colours.barColour, colours.bad, `the failed bar is drawn in the error colour: ${JSON.stringify(colours)}`);
  assert.notEqual(colours.barColour, colours.accent, 'not the blue of a run in progress');
  assert.equal(colours.border, colours.bad);
  await page.locator(`#runs-body tr[data-run="${failedId}"]`).waitFor();
  await expectText(`#runs-body tr[data-run="${failedId}"] .error-text`, /release\/1\.0/, 'the error in the history');
  await expectText(`#runs-body tr[data-run="${failedId}"] .status`, /^failed$/, 'the outcome in the history');
  await expectText('#project-facts', /Statusbranch missing/, 'the project\'s status');
  await expectText('#branch-select', /release\/1\.0 \(selected; no longer in the repository\)/, 'the lost branch');
  await shot('failed-run');
  await phone('failed-run');
  log(`run ${failedId} failed and shows why: ${await text('#progress-text')}`);

  // A sync held inside its write (the gated test provider): the bar shows
  // the write's progress while the write transaction is open (on SQLite
  // from a preview, as the event cannot be written yet), "Sync now" is
  // disabled meanwhile, and once let go the run ends.
  const gate = path.join(work, 'gate');
  fs.mkdirSync(gate);
  fs.writeFileSync(path.join(gate, 'files'), String(HELD_FILES));
  fs.writeFileSync(path.join(gate, 'hold-after'), String(HELD_AFTER));
  fs.writeFileSync(path.join(gate, 'blob-delay-ms'), '2');
  fs.writeFileSync(path.join(gate, 'hold-write'), '1');
  await addProject('held', gate);
  const heldId = await syncNow('the held sync');
  for (let waited = 0; !fs.existsSync(path.join(gate, 'in-write')); waited += 20) {
    assert.ok(waited < 20000, 'the run reaches its held write');
    await sleep(20);
  }
  await expectText('#progress-text', new RegExp(`Run ${heldId}: write, [1-9][0-9]* of ${HELD_FILES} files`),
    'progress while the write is open');
  // Previews of what was written before the hold may still be on their way:
  // the bar is read once it has stood still for 600 ms.
  for (let still = 0, last = '', waited = 0; still < 6; waited += 100) {
    assert.ok(waited < 10000, 'the bar comes to rest while the write is held');
    await sleep(100);
    const now = await text('#progress-text');
    still = now === last ? still + 1 : 0;
    last = now;
  }
  await expectText(`#runs-body tr[data-run="${heldId}"]`, /running/, 'the held run in the history');
  const midway = await page.locator('#progress').evaluate((bar) => bar.value);
  assert.ok(midway > 0 && midway < 100, `the bar stands between 0 and 100 (${midway})`);
  assert.equal(await page.locator('#progress').getAttribute('data-source'), 'events');
  assert.equal(await page.locator('#progress').getAttribute('data-outcome'), null, 'the run has not ended');
  await expectText('#project-facts', /Worker.*runs it now/, 'the worker running the held sync');
  assert.equal(await page.locator('#sync-now').isDisabled(), true, '"Sync now" disabled during the run');
  await page.getByRole('button', { name: `Cancel run ${heldId}` }).waitFor();
  await shot('running');
  await phone('running');
  log(`held at ${midway}% (${await text('#progress-text')})`);
  fs.rmSync(path.join(gate, 'hold-write'));
  await expectText(`#runs-body tr[data-run="${heldId}"]`, /succeeded/, 'the held run in the history');
  await page.locator(`#progress[data-outcome="succeeded"][data-run="${heldId}"]`).waitFor({ state: 'attached' });
  await page.locator('#sync-now:enabled').waitFor();
  await page.locator('#cancel-run').waitFor({ state: 'hidden' });  // nothing to cancel

  // A sync cancelled from the page: a diff of 100,000 changes, 1 ms each,
  // stopped at once; the project is then removed after a confirmation.
  const slow = path.join(work, 'slow');
  fs.mkdirSync(slow);
  fs.writeFileSync(path.join(slow, 'files'), '100000');
  fs.writeFileSync(path.join(slow, 'diff-delay-ms'), '1');
  await addProject('slow', slow);
  const slowId = await syncNow('the slow sync');
  for (let waited = 0; !fs.existsSync(path.join(slow, 'in-diff')); waited += 20) {
    assert.ok(waited < 20000, 'the run reaches its diff');
    await sleep(20);
  }
  assert.equal(await page.locator('#sync-now').isDisabled(), true, '"Sync now" disabled during the run');
  await page.getByRole('button', { name: `Cancel run ${slowId}` }).click();
  await page.locator(`#progress[data-outcome="cancelled"][data-run="${slowId}"]`).waitFor({ state: 'attached' });
  await expectText('#progress-text', new RegExp(`Run ${slowId} cancelled`), 'the cancelled run');
  await expectText(`#runs-body tr[data-run="${slowId}"] .status`, /^cancelled$/, 'the run in the history');
  await page.locator('#sync-now:enabled').waitFor();
  log(`run ${slowId} cancelled from the page`);

  // Remove asks first: "Keep it" keeps the project, "Remove" removes it.
  await page.getByRole('button', { name: 'Remove project' }).click();
  const dialog = page.getByRole('dialog', { name: 'Remove project slow?' });
  await dialog.waitFor();
  await shot('remove-dialog');
  await phone('remove-dialog');
  assert.ok((await text('#remove-text')).includes(slow), 'the dialog names the repository');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'remove-keep', 'the safe choice has the focus');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await page.getByRole('button', { name: 'Remove project' }).click();
  await dialog.getByRole('button', { name: 'Keep it' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await expectText('#project-heading', /^slow$/, 'kept');
  await page.getByRole('button', { name: 'Remove project' }).click();
  await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
  await expectText('#add-error', /^Removed project slow\.$/, 'removed');
  assert.equal(new URL(page.url()).hash, '#/');
  await page.locator('#projects-body tr[data-project="held"]').waitFor();
  assert.equal(await page.locator('#projects-body tr[data-project="slow"]').count(), 0, 'gone from the list');
  await page.goto(`${base}/#/p/slow`);
  await expectText('#page-error', /No project "slow"/, 'a removed project\'s address');
  log('project slow removed after a confirmation');

  // The integrity section: hidden for a tenant token; an admin token shows
  // the last verify report (here `tether verify`'s) and runs a new one.
  assert.equal(await page.locator('#verify-section').isHidden(), true, 'no integrity section for a tenant token');
  try {
    tether('verify');
  } catch {
    // exit 1: it found problems; the report is recorded all the same
  }
  const adminToken = tether('token', 'create', '--name', 'web-admin', '--admin').trim();
  await goTo('#/');
  await page.getByRole('button', { name: 'Change token' }).click();
  await page.getByLabel('Token', { exact: true }).fill(adminToken);
  await page.getByRole('button', { name: 'Use this token' }).click();
  await page.locator('#verify-section').waitFor();
  await expectText('#verify-summary', /^Last verify: /, 'the last verify report');
  await expectText('#verify-facts', /Run bytether verify/, 'the report of `tether verify`');
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expectText('#verify-facts', /Run bythe API/, 'a verify run from the page');
  log(`integrity section: ${await text('#verify-summary')}`);

  assert.deepEqual(foreign, [], 'the page fetches nothing from elsewhere');
  assert.deepEqual(problems, [], 'the page logs no errors');

  // The page without its style sheet still reads in order (for a look).
  await page.route('**/assets/style.css', (route) => route.abort());
  await goTo('#/p/demo');
  await page.reload();
  await page.locator('#runs-body tr').first().waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-unstyled.png'), fullPage: true });
  log(`all views checked in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${ARTIFACTS}`);
}

// Adds a project of the gated provider from the projects list; the page
// opens it.
async function addProject(name, repository) {
  await page.getByRole('link', { name: 'Projects', exact: true }).click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Repository', { exact: true }).fill(repository);
  await page.getByLabel(/Provider/).fill('gated-provider');
  await page.getByRole('button', { name: 'Add project' }).click();
  await expectText('#project-heading', new RegExp(`^${name}$`), `the ${name} project is open`);
}

// ---- main ------------------------------------------------------------------

async function cleanUp() {
  if (context) await context.close().catch(() => {});
  await stopServer().catch(() => {});
  if (pgDatabase) {
    try {
      execFileSync('psql', [pgDatabase.admin, '-q', '-c', `DROP DATABASE IF EXISTS ${pgDatabase.name} WITH (FORCE)`],
        { stdio: 'ignore' });
    } catch (error) {
      // The cluster goes away at the end of the run anyway.
    }
  }
  fs.rmSync(work, { recursive: true, force: true });
}

async function main() {
  const deadline = setTimeout(async () => {
    process.stderr.write(`web test: FAILED: gave up after ${DEADLINE_MS / 1000} s\n`);
    if (server && !server.exited) server.kill('SIGKILL');
    process.exit(1);
  }, DEADLINE_MS);
  let failed = false;
  try {
    await run();
    log('all checks passed');
  } catch (error) {
    failed = true;
    process.stderr.write(`web test: FAILED: ${error.stack || error}\n`);
    if (page) {
      const shot = path.join(ARTIFACTS, 'failure.png');
      await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
      process.stderr.write(`web test: screenshot of the failure: ${shot}\n`);
    }
    if (serverStderr) process.stderr.write(`tether serve's stderr:\n${serverStderr}\n`);
  }
  await cleanUp();
  clearTimeout(deadline);
  process.exit(failed ? 1 : 0);
}

main();
