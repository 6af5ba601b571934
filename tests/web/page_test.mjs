// The web page end to end in a real browser: Debian's chromium, headless,
// driven by playwright-core, against the real `tether serve` on a free
// loopback port with a fresh SQLite database and a real git repository.
//
// In the browser: a wrong token is refused and the right one accepted; an
// invalid project shows the API's error next to the field it names; a
// project is added, a branch picked from the selector and saved; "Sync now"
// drives the progress bar to 100% from the event stream and the run appears
// in the history; documents are paged and opened (their content shown as
// text, never as markup); a reload keeps the token; without the stream, the
// page polls the run instead; a failed run shows its error; a sync held in
// its write moves the bar before the write commits, and "Sync now"
// meanwhile gets the API's 409; the integrity section is hidden for a
// tenant token, and an admin token sees the last verify report and runs
// one. A screenshot goes to
// $TETHER_WEB_ARTIFACTS/web-page.png.
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
const FILES = 300;  // in src/ on main; the release branch adds docs/
const HELD_FILES = 200;   // the gated provider's commit
const HELD_AFTER = 130;   // blobs it reads before it holds the write (2 ms each)
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

// main: README.md and FILES files under src/; release/1.0 adds RELEASE.md
// (markup that must be shown as text), a path that needs escaping in a URL,
// and 20 notes.
function makeRepository() {
  const repo = path.join(work, 'repo');
  fs.mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  write(repo, 'README.md', '# Demo\n\nA repository for the web page test.\n');
  for (let i = 0; i < FILES; ++i) {
    write(repo, `src/mod${i % 10}/file${String(i).padStart(3, '0')}.txt`, `file ${i}\n${'line\n'.repeat(i % 7)}`);
  }
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
    viewport: { width: 1280, height: 1000 },
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

// ---- the checks ------------------------------------------------------------

async function run() {
  assert.ok(TETHER && fs.existsSync(TETHER), 'set TETHER_BIN to the tether binary');
  assert.ok(GATED_PROVIDER && fs.existsSync(GATED_PROVIDER), 'set TETHER_GATED_PROVIDER to the test provider');
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/install-deps.sh)`);
  const repo = makeRepository();
  if (PG_DIR) {
    tether('init', '--database', makePostgresDatabase());
    log('on PostgreSQL');
  } else {
    tether('init');
  }
  // The gated test provider, for a sync the test holds in its write.
  const configFile = path.join(work, 'tether.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
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
  // provokes (a wrong token, bad bodies, the 409) are expected.
  const provoked = /^Failed to load resource: the server responded with a status of (400|401|409|422) /;
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
  log(`field errors shown: ${await text('#add-repo-error')}`);

  // Add the project for real.
  await page.getByLabel('Repository', { exact: true }).fill(repo);
  await page.getByLabel(/Provider/).fill('local-git');
  await page.getByRole('button', { name: 'Add project' }).click();
  await page.locator('#projects-body tr[data-project="demo"]').waitFor();
  await page.locator('#project-section').waitFor();
  await expectText('#project-heading', /demo/, 'the new project is open');
  await expectText('#projects-body tr[data-project="demo"]', /never synced/, 'the new project\'s status');

  // Pick the release branch from the selector and save it.
  await page.locator('#branch-select option[value="release/1.0"]').waitFor({ state: 'attached' });
  const branches = await page.locator('#branch-select option').evaluateAll((options) => options.map((o) => o.value));
  assert.deepEqual(branches.sort(), ['main', 'release/1.0']);
  await page.getByLabel('Branch', { exact: true }).selectOption('release/1.0');
  await page.getByRole('button', { name: 'Save branch' }).click();
  await expectText('#branch-error', /release\/1\.0 selected/, 'the saved branch');
  await expectText('#projects-body tr[data-project="demo"]', /release\/1\.0/, 'the list shows the branch');
  log('branch release/1.0 selected');

  // Sync now: the bar follows the events to 100% and the run is listed.
  await page.evaluate(() => {
    window.__progress = [];
    const bar = document.getElementById('progress');
    new MutationObserver(() => window.__progress.push([bar.value, bar.dataset.source]))
      .observe(bar, { attributes: true, attributeFilter: ['value', 'data-source'] });
  });
  const runId = await syncNow('the accepted sync');
  await page.locator(`#progress[data-outcome][data-run="${runId}"]`).waitFor({ state: 'attached', timeout: 60000 });
  assert.equal(await page.locator('#progress').getAttribute('data-outcome'), 'succeeded');
  assert.equal(await page.locator('#progress').evaluate((bar) => bar.value), 100);
  assert.equal(await page.locator('#progress').getAttribute('data-source'), 'events', 'driven by the stream');
  await expectText('#progress-text', new RegExp(`Run ${runId} succeeded.*${FILES + 23} added`), 'the outcome');
  const seen = await page.evaluate(() => window.__progress);
  assert.ok(seen.some(([, source]) => source === 'events'), `progress from events: ${JSON.stringify(seen)}`);
  const runRow = page.locator(`#runs-body tr[data-run="${runId}"]`);
  await runRow.waitFor();
  await expectText(`#runs-body tr[data-run="${runId}"]`, /succeeded/, 'the run in the history');
  await expectText(`#runs-body tr[data-run="${runId}"] .timings`, /write \d/, 'the run\'s phase timings');
  await expectText('#projects-body tr[data-project="demo"]', /synced/, 'the project\'s status after the sync');
  log(`run ${runId} reached 100% (${seen.length} progress updates) and is in the history`);

  // A second real sync has nothing new: it still ends at 100%.
  const secondId = await syncNow('the second sync');
  assert.notEqual(secondId, runId);
  await page.locator(`#progress[data-outcome="noop"][data-run="${secondId}"]`).waitFor({ state: 'attached' });
  await page.locator(`#runs-body tr[data-run="${secondId}"]`).waitFor();
  assert.equal(await page.locator('#runs-body tr').count(), 2);

  // Documents: paged, opened by a click, content shown as text.
  await page.locator('#documents-list li').first().waitFor();
  assert.equal(await page.locator('#documents-list li').count(), 50, 'a full first page');
  const firstPage = await page.locator('#documents-list button').first().textContent();
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.waitForFunction((first) => document.querySelector('#documents-list button')?.textContent !== first,
    firstPage);
  await page.getByRole('button', { name: 'First page' }).click();
  await page.locator('#documents-list button[data-path="RELEASE.md"]').click();
  await expectText('#document-title', /^RELEASE\.md$/, 'the opened document');
  await expectText('#document-content', /<img src=x onerror="window.__injected = 1"><b>not bold<\/b>/,
    'the content as text');
  assert.equal(await page.evaluate(() => window.__injected), undefined, 'document content ran as markup');
  assert.equal(await page.locator('#document-view img, #document-view b').count(), 0);
  await page.locator('#documents-list button[data-path="docs/a b&c.md"]').click();
  await expectText('#document-content', /a path with a space and an ampersand/, 'a path that needs escaping');
  // Beside a document, its documentation, written from the code analyzer's
  // results (tether init enables it): the README's heading as a symbol.
  await page.locator('#documents-list button[data-path="README.md"]').click();
  await expectText('#document-docs-body h3', /^Demo$/, "the README's documentation page");
  await expectText('#document-docs-body', /heading, lines? 1/, 'the symbol with its kind and lines');
  await page.locator('#documents-list button[data-path="RELEASE.md"]').click();
  await expectText('#document-title', /^RELEASE\.md$/, 'the document for the screenshot');
  await expectText('#document-docs-body', /RELEASE\.md/, "the opened document's documentation");
  assert.equal(await page.locator('#document-view img, #document-view b').count(), 0);
  log('documents paged and opened, with their documentation');

  // Symbol search: a heading of the README found by a prefix of its name,
  // case-insensitively; a click opens its file.
  await page.locator('#symbols-query').fill('dem');
  await page.getByRole('button', { name: 'Search' }).click();
  await expectText('#symbols-message', /^1 match\.$/, 'the symbol search');
  await expectText('#symbols-list li', /Demo heading, README\.md:1/, 'the hit with its kind and place');
  await page.locator('#symbols-list button[data-path="README.md"]').click();
  await expectText('#document-title', /^README\.md$/, 'the file a symbol was found in');
  await page.locator('#symbols-query').fill('no_such_symbol_anywhere');
  await page.getByRole('button', { name: 'Search' }).click();
  await expectText('#symbols-message', /No symbol matches/, 'a search without hits');
  await page.locator('#documents-list button[data-path="RELEASE.md"]').click();
  await expectText('#document-title', /^RELEASE\.md$/, 'the document for the screenshot');
  log('symbols searched');

  const screenshot = path.join(ARTIFACTS, 'web-page.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  log(`screenshot: ${screenshot}`);

  // A reload remembers the token and the open project.
  await page.reload();
  await page.locator('#app').waitFor();
  assert.equal(await page.locator('#token-section').isHidden(), true, 'the token is remembered');
  await expectText('#project-heading', /demo/, 'the open project after a reload');
  await page.locator(`#runs-body tr[data-run="${secondId}"]`).waitFor();

  assert.deepEqual(foreign, [], 'the page fetches nothing from elsewhere');
  assert.deepEqual(problems, [], 'the page logs no errors');

  // Without the event stream the page polls the run: it still ends at 100%.
  await page.route('**/api/v1/events', (route) => route.abort());
  await page.reload();
  await page.locator('#connection[data-stream="down"]').waitFor();
  await page.locator('#project-section').waitFor();
  const polledId = await syncNow('a sync without the stream');
  await page.locator(`#progress[data-outcome="noop"][data-run="${polledId}"]`).waitFor({ state: 'attached' });
  assert.equal(await page.locator('#progress').getAttribute('data-source'), 'polling');
  assert.equal(await page.locator('#progress').evaluate((bar) => bar.value), 100);
  log(`without the stream, run ${polledId} reached 100% by polling`);

  // A failed run shows its error: the selected branch is gone.
  await page.unroute('**/api/v1/events');
  await page.reload();
  await page.locator('#connection[data-stream="live"]').waitFor();
  await page.locator('#project-section').waitFor();
  git(repo, 'branch', '-D', 'release/1.0');
  const failedId = await syncNow('a sync of a deleted branch');
  await page.locator(`#progress[data-outcome="failed"][data-run="${failedId}"]`).waitFor({ state: 'attached' });
  await expectText('#progress-text', /failed.*release\/1\.0/, 'the failed run\'s error');
  await page.locator(`#runs-body tr[data-run="${failedId}"]`).waitFor();
  await expectText(`#runs-body tr[data-run="${failedId}"] .error-text`, /release\/1\.0/, 'the error in the history');
  await expectText('#projects-body tr[data-project="demo"]', /branch missing/, 'the project\'s status');
  await expectText('#branch-select', /release\/1\.0 \(selected; no longer in the repository\)/, 'the lost branch');
  log(`run ${failedId} failed and shows why: ${await text('#progress-text')}`);

  // A sync held inside its write (the gated test provider): the bar shows
  // the write's progress while the write transaction is open (on SQLite
  // from a preview, as the event cannot be written yet), a second "Sync
  // now" is refused by the API with a 409, and once let go the run ends.
  const gate = path.join(work, 'gate');
  fs.mkdirSync(gate);
  fs.writeFileSync(path.join(gate, 'files'), String(HELD_FILES));
  fs.writeFileSync(path.join(gate, 'hold-after'), String(HELD_AFTER));
  fs.writeFileSync(path.join(gate, 'blob-delay-ms'), '2');
  fs.writeFileSync(path.join(gate, 'hold-write'), '1');
  await page.getByLabel('Name', { exact: true }).fill('held');
  await page.getByLabel('Repository', { exact: true }).fill(gate);
  await page.getByLabel(/Provider/).fill('gated-provider');
  await page.getByRole('button', { name: 'Add project' }).click();
  await expectText('#project-heading', /held/, 'the held project is open');
  const heldId = await syncNow('the held sync');
  // Part of the files are written, the rest wait: the bar stands in between.
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
  const live = path.join(ARTIFACTS, 'web-page-live.png');
  await page.screenshot({ path: live, fullPage: true });
  log(`held at ${midway}% (${await text('#progress-text')}); screenshot: ${live}`);
  assert.equal(await page.locator('#progress').getAttribute('data-outcome'), null, 'the run has not ended');
  await expectText('#project-facts', /Worker.*runs it now/, 'the worker running the held sync');
  await page.getByRole('button', { name: 'Sync now' }).click();
  if (PG_DIR) {
    // PostgreSQL: kept in the database, one run follows the held one.
    await expectText('#sync-message', /^Sync queued/, 'a sync asked for during a run: queued to follow it');
  } else {
    // SQLite: the running write holds the one write lock: refused at once.
    await expectText('#sync-message', /^Already running: .*held/, 'the API\'s 409 for a running sync');
  }
  fs.rmSync(path.join(gate, 'hold-write'));
  await expectText(`#runs-body tr[data-run="${heldId}"]`, /succeeded/, 'the held run in the history');
  if (PG_DIR) {
    // The one asked for during it follows (a noop: nothing moved).
    const followId = String(Number(heldId) + 1);
    await page.locator(`#runs-body tr[data-run="${followId}"]`).waitFor({ timeout: 60000 });
    await expectText(`#runs-body tr[data-run="${followId}"]`, /noop/, 'the run that followed the held one');
  }
  log(`run ${heldId} showed progress while held in its write, a second sync was ${PG_DIR ? 'queued and ran after it' : 'refused'}`);

  // The integrity section: hidden for a tenant token; an admin token shows
  // the last verify report (here `tether verify`'s) and runs a new one.
  assert.equal(await page.locator('#verify-section').isHidden(), true, 'no integrity section for a tenant token');
  try {
    tether('verify');
  } catch {
    // exit 1: it found problems; the report is recorded all the same
  }
  const adminToken = tether('token', 'create', '--name', 'web-admin', '--admin').trim();
  await page.getByRole('button', { name: 'Change token' }).click();
  await page.getByLabel('Token', { exact: true }).fill(adminToken);
  await page.getByRole('button', { name: 'Use this token' }).click();
  await page.locator('#verify-section').waitFor();
  await expectText('#verify-summary', /^Last verify: /, 'the last verify report');
  await expectText('#verify-facts', /Run bytether verify/, 'the report of `tether verify`');
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expectText('#verify-facts', /Run bythe API/, 'a verify run from the page');
  log(`integrity section: ${await text('#verify-summary')}`);

  // The page without its style sheet still reads in order (for a look).
  await page.route('**/assets/style.css', (route) => route.abort());
  await page.reload();
  await page.locator('#runs-body tr').first().waitFor();
  const unstyled = path.join(ARTIFACTS, 'web-page-unstyled.png');
  await page.screenshot({ path: unstyled, fullPage: true });
  log(`screenshot without CSS: ${unstyled}`);
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
      const shot = path.join(ARTIFACTS, 'web-page-failure.png');
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
