// Tether's web page: projects and their status, adding a project, picking a
// branch, "Sync now" with live progress, run history and a document browser.
//
// Plain JavaScript, no framework, no build step. Everything it shows comes
// from the HTTP API (/api/v1, see /api/v1/openapi.json) and is put into the
// DOM as text (textContent, never innerHTML). The API token is asked for
// once and kept in localStorage; it goes with every call as
// "Authorization: Bearer". The event stream (/api/v1/events) is read with
// fetch() and a stream reader instead of EventSource, which cannot send that
// header; when the stream is down, a followed run is polled instead.

const API = '/api/v1';
const TOKEN_KEY = 'tether.token';
const PHASES = ['discover', 'resolve', 'diff', 'write', 'analyze', 'finalize'];
const DOCUMENTS_PER_PAGE = 50;
const STREAM_SILENCE_MS = 45000;  // three missed heartbeats: reconnect
const POLL_MS = 2000;

const state = {
  token: localStorage.getItem(TOKEN_KEY) || '',
  projects: [],
  selected: null,       // the open project's name
  run: null,            // the run the progress bar follows: {id, project, finished}
  lastEventId: null,    // sent as Last-Event-ID when the stream reconnects
  stream: null,         // {abort()} of the running stream loop
  streamStatus: 'off',  // off | connecting | live | down
  documentCursor: null, // the cursor of the page shown (null: the first)
  nextCursor: null,
  previewed: new Set(), // events shown from a preview, awaiting their copy with an id
};

const $ = (id) => document.getElementById(id);

// ---- DOM helpers ---------------------------------------------------------

// <tag> with attributes and children; strings become text nodes.
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setText(id, text, kind) {
  const node = $(id);
  node.textContent = text || '';
  if (kind) node.dataset.kind = kind; else delete node.dataset.kind;
}

function formatTime(iso) {
  if (!iso) return 'never';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function formatMs(ms) {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return ms >= 10 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

function factList(id, facts) {
  $(id).replaceChildren(...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}

// ---- the API ---------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

function projectPath(name) {
  return `/projects/${encodeURIComponent(name)}`;
}

function documentPath(project, path) {
  return `${projectPath(project)}/documents/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function docsPath(project, path) {
  return `${projectPath(project)}/docs/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function authHeaders(extra = {}) {
  return { Authorization: `Bearer ${state.token}`, ...extra };
}

// Calls the API; returns the parsed JSON (null for 204), throws ApiError
// with the problem+json body for an error status.
async function api(method, path, body) {
  const init = { method, headers: authHeaders({ Accept: 'application/json' }) };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, init);
  if (response.status === 204) return null;
  const isJson = (response.headers.get('Content-Type') || '').includes('json');
  const data = isJson ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const error = new ApiError(response.status, data || { detail: `${response.status} ${response.statusText}` });
    if (response.status === 401) askForToken(`The server refused the token: ${error.message}`);
    throw error;
  }
  return data;
}

// Runs an event handler; an error nobody else shows goes to the page.
function guarded(handler) {
  return async (event) => {
    try {
      await handler(event);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setText('page-error', error.message, 'error');
    }
  };
}

// ---- the token -------------------------------------------------------------

function askForToken(message) {
  stopEvents();
  $('token-section').hidden = false;
  $('app').hidden = true;
  $('change-token').hidden = true;
  setText('token-error', message, message ? 'error' : null);
  $('token-input').focus();
}

async function useToken(event) {
  event.preventDefault();
  const token = $('token-input').value.trim();
  if (!token) {
    setText('token-error', 'Paste a token first.', 'error');
    return;
  }
  const response = await fetch(`${API}/status`, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    setText('token-error', `The server refused the token: ${problem.detail || response.status}`, 'error');
    return;
  }
  state.token = token;
  localStorage.setItem(TOKEN_KEY, token);
  $('token-input').value = '';
  await start();
}

async function start() {
  $('token-section').hidden = true;
  $('app').hidden = false;
  $('change-token').hidden = false;
  setText('token-error', '');
  setText('page-error', '');
  connectEvents();
  await loadProjects();
  await loadVerifyReport();
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (wanted && state.projects.some((p) => p.name === wanted)) await selectProject(wanted);
}

// ---- projects --------------------------------------------------------------

async function loadProjects() {
  const data = await api('GET', '/projects');
  state.projects = data.projects;
  renderProjects();
}

function renderProjects() {
  $('projects-empty').hidden = state.projects.length > 0;
  $('projects-table').hidden = state.projects.length === 0;
  $('projects-body').replaceChildren(...state.projects.map((p) => {
    const open = el('button', { type: 'button', 'aria-label': `Open project ${p.name}` }, 'Open');
    open.addEventListener('click', guarded(() => selectProject(p.name)));
    return el('tr', { 'aria-current': p.name === state.selected ? 'true' : null, 'data-project': p.name },
      el('th', { scope: 'row' }, p.name),
      el('td', {}, p.branch),
      el('td', {}, el('span', { class: `status status-${p.status}` }, p.status.replaceAll('_', ' '))),
      el('td', {}, formatTime(p.last_synced_at)),
      el('td', { class: 'error-text' }, p.last_error || ''),
      el('td', {}, open));
  }));
}

function setProjectStatus(name, status) {
  const project = state.projects.find((p) => p.name === name);
  if (!project || project.status === status) return;
  project.status = status;
  renderProjects();
}

function clearFieldErrors() {
  for (const node of document.querySelectorAll('#add-form .field-error')) node.textContent = '';
  for (const input of document.querySelectorAll('#add-form input')) input.removeAttribute('aria-invalid');
  setText('add-error', '');
}

// Shows a refused create next to the field its JSON pointer names, or
// under the form when it names none.
function showAddError(error) {
  const problem = error.problem || {};
  let field = typeof problem.pointer === 'string' ? problem.pointer.slice(1) : '';
  if (!field && error.status === 409) field = 'name';  // the name is taken
  if (!field && error.status === 403) field = 'repo';  // outside the provider's allowed roots
  const slot = field && document.querySelector(`#add-form .field-error[data-field="${CSS.escape(field)}"]`);
  if (!slot) {
    setText('add-error', error.message, 'error');
    return;
  }
  slot.textContent = error.message;
  const input = $(`add-${field}`);
  input.setAttribute('aria-invalid', 'true');
  input.focus();
}

async function addProject(event) {
  event.preventDefault();
  clearFieldErrors();
  const form = $('add-form');
  const body = { name: form.elements.name.value.trim(), repo: form.elements.repo.value.trim() };
  for (const optional of ['provider', 'branch']) {
    const value = form.elements[optional].value.trim();
    if (value) body[optional] = value;
  }
  let created;
  try {
    created = await api('POST', '/projects', body);
  } catch (error) {
    if (error instanceof ApiError && error.status !== 401) return showAddError(error);
    throw error;
  }
  form.reset();
  setText('add-error', `Added project ${created.name}.`, 'ok');
  await loadProjects();
  await selectProject(created.name);
}

// ---- one project -----------------------------------------------------------

async function selectProject(name) {
  const switched = state.selected !== name;
  state.selected = name;
  history.replaceState(null, '', `#${encodeURIComponent(name)}`);
  $('project-section').hidden = false;
  $('project-heading').textContent = `Project ${name}`;
  renderProjects();
  if (switched) {
    state.run = null;
    setProgress(0, 'No sync yet in this page.', 'none');
    setText('sync-message', '');
    setText('branch-error', '');
    showDocument(null);
    $('symbols-list').replaceChildren();
    setText('symbols-message', '');
  }
  await Promise.all([loadProjectFacts(), loadBranches(), loadRuns(), loadDocuments(null)]);
}

async function loadProjectFacts() {
  const name = state.selected;
  const p = await api('GET', projectPath(name));
  if (name !== state.selected) return;
  factList('project-facts', [
    ['Repository', p.repo], ['Provider', p.provider], ['Storage', p.storage], ['Branch', p.branch],
    ['Status', p.status.replaceAll('_', ' ')], ['Syncing', p.sync_enabled ? 'enabled' : 'disabled'],
    ['Last synced commit', p.last_synced_commit || 'none'], ['Last synced', formatTime(p.last_synced_at)],
    ['Schedule', scheduleText(p)],
    ['Worker', p.worker ? `${p.worker} runs it now` : (p.sync_requested ? 'a sync is queued for the first free worker' : 'none running')],
  ]);
}

// The project's own schedule ("off", "adaptive", "<N>s") and when it is due
// next; the config's default is the server's to know.
function scheduleText(p) {
  if (p.schedule === null) return 'the server\'s default';
  const own = /^[0-9]+s$/.test(p.schedule) ? `every ${formatSeconds(Number.parseInt(p.schedule, 10))}` : p.schedule;
  if (p.schedule === 'off' || !p.sync_enabled) return own;
  return p.next_sync_at ? `${own}, next ${formatTime(p.next_sync_at)}` : `${own}, due now`;
}

function formatSeconds(s) {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60]]) {
    if (s % size === 0) return `${s / size} ${unit}`;
  }
  return `${s} s`;
}

async function loadBranches() {
  const name = state.selected;
  const select = $('branch-select');
  let data;
  try {
    data = await api('GET', `${projectPath(name)}/branches`);
  } catch (error) {
    if (error instanceof ApiError && error.status !== 401) {
      select.replaceChildren();
      setText('branch-error', `Cannot list the branches: ${error.message}`, 'error');
      return;
    }
    throw error;
  }
  if (name !== state.selected) return;
  const options = data.branches.map((b) =>
    el('option', { value: b.name, selected: b.name === data.selected },
      b.name + (b.default ? ' (default)' : '') + (b.name === data.selected ? ' (selected)' : '')));
  if (data.selected && !data.branches.some((b) => b.name === data.selected)) {
    // The selected branch is gone from the repository: say so, offer the rest.
    options.unshift(el('option', { value: data.selected, selected: true, disabled: true },
      `${data.selected} (selected; no longer in the repository)`));
  }
  select.replaceChildren(...options);
  select.value = data.selected;
}

async function saveBranch(event) {
  event.preventDefault();
  const branch = $('branch-select').value;
  setText('branch-error', '');
  try {
    await api('PATCH', projectPath(state.selected), { branch });
  } catch (error) {
    if (error instanceof ApiError && error.status !== 401) {
      setText('branch-error', error.message, 'error');
      return;
    }
    throw error;
  }
  setText('branch-error', `Branch ${branch} selected; the next sync follows it.`, 'ok');
  await Promise.all([loadProjects(), loadProjectFacts(), loadBranches()]);
}

async function syncNow() {
  const name = state.selected;
  const button = $('sync-now');
  button.disabled = true;
  try {
    const accepted = await api('POST', `${projectPath(name)}/sync`);
    if (accepted.queued) {
      // A run holds the project (one more follows it; PostgreSQL), or no
      // worker of this server was free (or it runs none): the request waits
      // in the database, and the first free worker starts it.
      setText('sync-message', 'Sync queued: it starts once the project and a worker are free.', 'ok');
      return;
    }
    setText('sync-message', `Run ${accepted.run_id} started.`, 'ok');
    // The stream may have told of this run already (even of its end).
    if (!state.run || state.run.id !== accepted.run_id) {
      followRun(accepted.run_id, name);
      setProgress(0, `Run ${accepted.run_id} is queued…`, 'none');
    }
    setProjectStatus(name, 'running');
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    if (error.status === 409 && /disabled/i.test(error.message)) {
      setText('sync-message', `Not started: syncing is disabled for this project. ${error.message}`, 'error');
    } else if (error.status === 409) {
      setText('sync-message', `Already running: ${error.message}`, 'error');
    } else {
      setText('sync-message', `Not started: ${error.message}`, 'error');
    }
  } finally {
    button.disabled = false;
  }
}

// ---- progress --------------------------------------------------------------

function followRun(id, project) {
  state.run = { id, project, finished: false };
  const bar = $('progress');
  delete bar.dataset.outcome;
  bar.dataset.run = String(id);
}

// `source`: what moved the bar ("events", "polling", "none"); the browser
// test reads it, people read the text.
function setProgress(percent, text, source) {
  const bar = $('progress');
  bar.value = Math.max(0, Math.min(100, percent));
  bar.dataset.source = source;
  bar.setAttribute('aria-valuetext', `${Math.round(bar.value)}%`);
  $('progress-text').textContent = text;
}

function runSummary(outcome, counts, totalMs, error) {
  const files = `${counts.added} added, ${counts.modified} modified, ${counts.deleted} deleted, ` +
                `${counts.renamed} renamed`;
  const time = typeof totalMs === 'number' ? ` in ${formatMs(totalMs)}` : '';
  if (outcome === 'failed' || outcome === 'interrupted') return `${outcome}${time}: ${error || 'no reason given'}`;
  if (outcome === 'cancelled') return `cancelled${time}: ${error || 'nothing was written'}`;
  if (outcome === 'noop') return `found nothing new${time}`;
  return `${outcome}${time}: ${files}`;
}

async function finishRun(id, outcome, text, source) {
  state.run.finished = true;
  const bar = $('progress');
  bar.dataset.outcome = outcome;
  bar.dataset.run = String(id);
  setProgress(100, `Run ${id} ${text}`, source);
  await Promise.all([loadProjects(), loadProjectFacts(), loadBranches(), loadRuns(), loadDocuments(null)]);
}

// One event of the stream.
async function onEvent(type, data) {
  if (type === 'run.started') setProjectStatus(data.project, 'running');
  if (type === 'run.finished') await loadProjects();
  if (!state.selected || data.project !== state.selected) return;
  const run = state.run;
  if (type === 'run.started' || !run || (run.finished && run.id !== data.run_id)) {
    followRun(data.run_id, data.project);  // a run started here or elsewhere (CLI, webhook, schedule)
  } else if (run.id !== data.run_id) {
    return;  // an older run's events, replayed
  }
  const id = data.run_id;
  switch (type) {
    case 'run.started':
      setProgress(0, `Run ${id} started (${data.trigger}) on ${data.branch}.`, 'events');
      await Promise.all([loadRuns(), loadProjectFacts()]);  // the run is in the history while it runs
      break;
    case 'phase.started':
      $('progress-text').textContent = `Run ${id}: ${data.phase}…`;
      break;
    case 'phase.progress':
      if (data.total > 0) {
        setProgress(100 * data.done / data.total,
          `Run ${id}: ${data.phase}, ${data.done} of ${data.total} files`, 'events');
      } else {
        $('progress-text').textContent = `Run ${id}: ${data.phase}, ${data.done} files so far`;
      }
      break;
    case 'phase.failed':
      $('progress-text').textContent = `Run ${id}: ${data.phase} failed: ${data.error}`;
      break;
    case 'run.finished':
      await finishRun(id, data.outcome, runSummary(data.outcome, data, data.total_ms, data.error), 'events');
      break;
    default:
      break;
  }
}

// Without the stream, the followed run is polled until it ends.
async function pollRun() {
  const run = state.run;
  if (state.streamStatus === 'live' || !run || run.finished || run.project !== state.selected) return;
  const record = await api('GET', `${projectPath(run.project)}/runs/${run.id}`);
  if (record.outcome === 'running' || state.run !== run || run.finished) return;
  const counts = { added: record.files_added, modified: record.files_modified, deleted: record.files_deleted,
                   renamed: record.files_renamed };
  const total = Object.values(record.timings_ms || {}).reduce((sum, ms) => sum + (ms || 0), 0);
  await finishRun(run.id, record.outcome, runSummary(record.outcome, counts, total, record.error), 'polling');
}

// ---- the event stream ------------------------------------------------------

function setStreamStatus(status) {
  state.streamStatus = status;
  const text = {
    off: 'Live updates: off',
    connecting: 'Live updates: connecting…',
    live: 'Live updates: connected',
    down: 'Live updates: unavailable, polling (retrying)',
  }[status];
  const node = $('connection');
  node.textContent = text;
  node.dataset.stream = status;
}

function stopEvents() {
  if (state.stream) state.stream.abort();
  state.stream = null;
  setStreamStatus('off');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Keeps one stream open for the token's tenant, reconnecting (with
// Last-Event-ID, so nothing is missed) after a drop.
function connectEvents() {
  stopEvents();
  const loop = { stopped: false, controller: null };
  loop.abort = () => {
    loop.stopped = true;
    if (loop.controller) loop.controller.abort();
  };
  state.stream = loop;
  (async () => {
    let delay = 1000;
    while (!loop.stopped) {
      setStreamStatus('connecting');
      loop.controller = new AbortController();
      try {
        const headers = authHeaders({ Accept: 'text/event-stream' });
        if (state.lastEventId !== null) headers['Last-Event-ID'] = state.lastEventId;
        const response = await fetch(`${API}/events`, { headers, cache: 'no-store', signal: loop.controller.signal });
        if (response.status === 401) {
          askForToken('The server refused the token for the event stream.');
          return;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        setStreamStatus('live');
        delay = 1000;
        await readStream(response.body, loop.controller);
      } catch (error) {
        // Dropped, refused or aborted: retry below unless stopped.
      }
      if (loop.stopped) return;
      setStreamStatus('down');
      await sleep(delay);
      delay = Math.min(delay * 2, 15000);
    }
  })();
}

// Reads Server-Sent Events frames ("id:", "event:", "data:" lines, a blank
// line ends a frame, ":" starts a comment) until the stream ends.
async function readStream(body, controller) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let silence = setTimeout(() => controller.abort(), STREAM_SILENCE_MS);
  let buffer = '';
  let frame = { id: null, type: 'message', data: [] };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      clearTimeout(silence);
      silence = setTimeout(() => controller.abort(), STREAM_SILENCE_MS);
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end).replace(/\r$/, '');
        buffer = buffer.slice(end + 1);
        if (line === '') {
          if (frame.id !== null) state.lastEventId = frame.id;
          if (frame.data.length > 0) await dispatchFrame(frame);
          frame = { id: null, type: 'message', data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;  // a comment: the heartbeat
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') frame.id = value;
        else if (field === 'event') frame.type = value;
        else if (field === 'data') frame.data.push(value);
      }
    }
  } finally {
    clearTimeout(silence);
  }
}

// A frame without an id whose data ends with "preview": true is an event the
// server could not write yet (on SQLite while a sync writes); the same
// event follows with its id once written, and is not shown twice.
async function dispatchFrame(frame) {
  const text = frame.data.join('\n');
  let data;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return;  // not ours to show
  }
  if (frame.id === null && data.preview === true) {
    if (state.previewed.size >= 10000) state.previewed.clear();
    state.previewed.add(`${frame.type}\n${text.replace(/,"preview":true}$/, '}')}`);
  } else if (state.previewed.delete(`${frame.type}\n${text}`)) {
    return;
  }
  try {
    await onEvent(frame.type, data);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) setText('page-error', error.message, 'error');
  }
}

// ---- runs ------------------------------------------------------------------

async function loadRuns() {
  const name = state.selected;
  const data = await api('GET', `${projectPath(name)}/runs?limit=20`);
  if (name !== state.selected) return;
  $('runs-empty').hidden = data.runs.length > 0;
  $('runs-table').hidden = data.runs.length === 0;
  $('runs-body').replaceChildren(...data.runs.map((run) => {
    const timings = el('ul', { class: 'timings' }, ...PHASES
      .filter((phase) => run.timings_ms && typeof run.timings_ms[phase] === 'number')
      .map((phase) => el('li', {}, `${phase} ${formatMs(run.timings_ms[phase])}`)));
    const files = `${run.files_added} added, ${run.files_modified} modified, ${run.files_deleted} deleted, ` +
                  `${run.files_renamed} renamed` + (run.files_skipped ? `, ${run.files_skipped} skipped` : '');
    return el('tr', { 'data-run': run.id },
      el('th', { scope: 'row' }, `#${run.id}`),
      el('td', {}, formatTime(run.started_at)),
      el('td', {}, run.trigger),
      el('td', {}, el('span', { class: `status status-${run.outcome}` }, run.outcome)),
      el('td', {}, run.mode || ''),
      el('td', {}, files),
      el('td', {}, timings),
      el('td', { class: 'error-text' }, run.error || ''));
  }));
}

// ---- documents -------------------------------------------------------------

async function loadDocuments(cursor) {
  const name = state.selected;
  const query = new URLSearchParams({ limit: String(DOCUMENTS_PER_PAGE) });
  if (cursor) query.set('cursor', cursor);
  const data = await api('GET', `${projectPath(name)}/documents?${query}`);
  if (name !== state.selected) return;
  state.documentCursor = cursor;
  state.nextCursor = data.next_cursor;
  $('documents-empty').hidden = data.documents.length > 0;
  $('documents-list').replaceChildren(...data.documents.map((doc) => {
    const open = el('button', { type: 'button', class: 'link', 'data-path': doc.path }, doc.path);
    open.addEventListener('click', guarded(() => openDocument(doc.path)));
    return el('li', {}, open, el('span', { class: 'hint' }, ` ${doc.size} bytes`));
  }));
  $('documents-next').disabled = !data.next_cursor;
  $('documents-first').disabled = !cursor;
}

async function openDocument(path) {
  const name = state.selected;
  const doc = await api('GET', documentPath(name, path));
  if (name !== state.selected) return;
  showDocument(doc);
  await showDocs(name, path);
}

// The file's documentation page, written by the server from its analysis
// (HTML from cmark, without raw HTML or unsafe links; the page's CSP allows
// no inline script and no image from elsewhere either).
async function showDocs(name, path) {
  const section = $('document-docs');
  const body = $('document-docs-body');
  let page = null;
  let why = '';
  try {
    page = await api('GET', docsPath(name, path));
  } catch (error) {
    why = error.message || String(error);
  }
  if (name !== state.selected || $('document-title').textContent !== path) return;
  section.hidden = false;
  if (page) {
    body.innerHTML = page.html;
    // Links between pages point into an exported site, not this page.
    for (const link of body.querySelectorAll('a')) link.replaceWith(...link.childNodes);
  } else {
    body.textContent = `No documentation: ${why}`;
  }
}

function showDocument(doc) {
  $('document-title').textContent = doc ? doc.path : 'Pick a document';
  $('document-docs').hidden = true;
  $('document-docs-body').replaceChildren();
  factList('document-facts', doc ? [
    ['Size', `${doc.size} bytes`], ['Kind', doc.kind], ['Language', doc.language || 'unknown'],
    ['Blob', doc.blob], ['Updated by commit', doc.updated_commit], ['Updated', formatTime(doc.updated_at)],
  ] : []);
  const content = $('document-content');
  if (!doc) content.textContent = '';
  else if (typeof doc.content === 'string') content.textContent = doc.content;
  else content.textContent = doc.is_binary ? '(binary: no text to show)' : '(no content stored for this document)';
}

// ---- symbols ---------------------------------------------------------------

// Symbols of the project's current files whose name matches (whole, prefix
// or sub-token); a click opens the file.
async function searchSymbols(event) {
  event.preventDefault();
  const name = state.selected;
  const q = $('symbols-query').value.trim();
  const list = $('symbols-list');
  if (!q) {
    list.replaceChildren();
    setText('symbols-message', 'Type a name to search for.');
    return;
  }
  let data;
  try {
    data = await api('GET', `${projectPath(name)}/symbols?${new URLSearchParams({ q, limit: '50' })}`);
  } catch (error) {
    if (name !== state.selected) return;
    list.replaceChildren();
    setText('symbols-message', `No symbol search: ${error.message}`, 'error');
    return;
  }
  if (name !== state.selected) return;
  const count = data.symbols.length;
  setText('symbols-message', count === 0 ? `No symbol matches "${q}".`
    : `${count}${data.more ? '+' : ''} match${count === 1 ? '' : 'es'}.`);
  list.replaceChildren(...data.symbols.map((hit) => {
    const where = `${hit.path}:${hit.start_line}`;
    const open = el('button', { type: 'button', class: 'link', 'data-path': hit.path }, hit.name);
    open.addEventListener('click', guarded(() => openDocument(hit.path)));
    return el('li', {}, open, el('span', { class: 'hint' }, ` ${hit.kind}${hit.parent ? ` in ${hit.parent}` : ''}, ${where}`),
      hit.signature ? el('code', { class: 'signature' }, hit.signature) : null);
  }));
}

// ---- integrity (admin tokens) ----------------------------------------------

// The last verify report, from GET /admin/verify, for an admin token (the
// token's scope comes from GET /status); hidden for any other.
async function loadVerifyReport() {
  const status = await api('GET', '/status');
  $('verify-section').hidden = true;
  if (!status.token || status.token.scope !== 'admin') return;
  let record = null;
  try {
    record = await api('GET', '/admin/verify');
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  $('verify-section').hidden = false;
  renderVerifyReport(record);
}

function renderVerifyReport(record) {
  if (!record) {
    setText('verify-summary', 'No verify report yet.');
    factList('verify-facts', []);
    $('verify-problems').replaceChildren();
    $('verify-notes').replaceChildren();
    return;
  }
  const report = record.report;
  const problems = report.problems || [];
  setText('verify-summary', problems.length === 0
    ? 'Last verify: no problems found.'
    : `Last verify: ${problems.length} problem${problems.length === 1 ? '' : 's'}.`, problems.length ? 'error' : 'ok');
  factList('verify-facts', [
    ['Checked', formatTime(report.checked_at)],
    ['Run by', record.trigger === 'api' ? 'the API' : 'tether verify'],
    ['Deep', report.deep ? 'yes' : 'no'],
    ['Evidence of', report.evidence_of || 'none'],
  ]);
  $('verify-problems').replaceChildren(...problems.map((p) => el('li', {}, p)));
  $('verify-notes').replaceChildren(...(report.notes || []).map((n) => el('li', {}, n)));
}

async function runVerify(deep) {
  setText('verify-summary', deep ? 'Deep verify running…' : 'Verify running…');
  renderVerifyReport(await api('POST', '/admin/verify', { deep }));
}

// ---- start -----------------------------------------------------------------

function wire() {
  $('token-form').addEventListener('submit', guarded(useToken));
  $('change-token').addEventListener('click', () => askForToken(''));
  $('refresh-projects').addEventListener('click', guarded(loadProjects));
  $('add-form').addEventListener('submit', guarded(addProject));
  $('branch-form').addEventListener('submit', guarded(saveBranch));
  $('sync-now').addEventListener('click', guarded(syncNow));
  $('documents-first').addEventListener('click', guarded(() => loadDocuments(null)));
  $('symbols-form').addEventListener('submit', guarded(searchSymbols));
  $('documents-next').addEventListener('click', guarded(() => loadDocuments(state.nextCursor)));
  $('verify-run').addEventListener('click', guarded(() => runVerify(false)));
  $('verify-deep').addEventListener('click', guarded(() => runVerify(true)));
  setInterval(guarded(pollRun), POLL_MS);
}

wire();
if (state.token) guarded(start)(); else askForToken('');
