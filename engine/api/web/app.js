// Tether's web page: projects and their status, adding, enabling,
// disabling and removing a project, picking a branch, "Sync now" with live
// progress and a cancel, run history, and a code browser: a file tree with a
// filter, a file with line numbers, its outline and its documentation, and
// search in three modes whose results open at their lines.
//
// Plain JavaScript, no framework, no build step. Everything it shows comes
// from the HTTP API (/api/v1, see /api/v1/openapi.json) and is put into the
// DOM as text (textContent, never innerHTML; the one exception is the docs
// page, which the server renders from Markdown without raw HTML). The API
// token is asked for once and kept in localStorage; it goes with every call
// as "Authorization: Bearer". The event stream (/api/v1/events) is read with
// fetch() and a stream reader instead of EventSource, which cannot send that
// header; when the stream is down, a followed run is polled instead.
//
// Every view has an address (the hash), so a reload or a link opens it:
//   #/                                   the projects
//   #/p/NAME                             a project: facts, actions, runs
//   #/p/NAME/code                        its file tree
//   #/p/NAME/file/PATH?L=10-20           a file, lines 10 to 20 marked
//   #/p/NAME/search?q=QUERY&mode=MODE    a search (text, symbol, semantic)
// NAME and each segment of PATH are percent-encoded. render() is the one
// place that reads the address and shows the view it names.

const API = '/api/v1';
const TOKEN_KEY = 'tether.token';
const PHASES = ['discover', 'resolve', 'diff', 'write', 'analyze', 'finalize'];
const STREAM_SILENCE_MS = 45000;  // three missed heartbeats: reconnect
const POLL_MS = 2000;
const TREE_PAGE = 1000;           // paths per documents request (the API's most)
const TREE_MAX_PATHS = 50000;     // the tree lists this many paths at most
const FILTER_SHOWN = 300;         // filter matches listed at most
const FOLDER_SHOWN = 1000;        // files listed at most in one folder of the tree
const LINE_CHARS = 5000;          // characters shown of one line
const LINES_STEP = 2000;          // lines rendered at once; "Show more" adds as many
const SEARCH_LIMIT = 30;         // results asked for at once ("30+" says there are more)
const MODES = ['text', 'symbol', 'semantic'];

const state = {
  token: localStorage.getItem(TOKEN_KEY) || '',
  projects: [],
  route: { view: 'projects' },
  selected: null,       // the open project's name
  project: null,        // its object from the API
  runningRunId: null,   // a run the history lists as running
  run: null,            // the run the progress bar follows: {id, project, finished}
  lastEventId: null,    // sent as Last-Event-ID when the stream reconnects
  stream: null,         // {abort()} of the running stream loop
  streamStatus: 'off',  // off | connecting | live | down
  previewed: new Set(), // events shown from a preview, awaiting their copy with an id
  tree: null,           // {project, paths: [{path, size, is_binary}], truncated, root}
  treeShown: null,      // the tree the list shows
  file: null,           // {project, path, lines: [..], shown, doc}
  opening: null,        // the path of the file asked for last
  search: '',           // the search shown (its hash), not run twice
};

const $ = (id) => document.getElementById(id);

// ---- DOM helpers and units for people --------------------------------------

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

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function formatTime(iso) {
  if (!iso) return 'never';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

// "just now", "5 min ago", "3 h ago", "2 days ago"; the date beyond a month.
function formatAgo(iso, now = Date.now()) {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const s = Math.round((now - then) / 1000);
  if (s < 0) return s > -60 ? 'just now' : `in ${formatSeconds(-s)}`;
  if (s < 10) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 30 * 86400) return plural(Math.floor(s / 86400), 'day') + ' ago';
  return iso.slice(0, 10);
}

// A <time> that says how long ago, with the exact time as its title; the
// clock refreshes it (refreshTimes).
function timeAgo(iso) {
  if (!iso) return 'never';
  return el('time', { datetime: iso, title: formatTime(iso), 'data-ago': '' }, formatAgo(iso));
}

function refreshTimes() {
  const now = Date.now();
  for (const node of document.querySelectorAll('time[data-ago]')) node.textContent = formatAgo(node.dateTime, now);
}

function formatMs(ms) {
  if (typeof ms !== 'number') return '';
  if (ms >= 60000) return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10000 ? 1 : 2)} s`;
  return ms >= 10 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

function formatSeconds(s) {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60]]) {
    if (s >= size && s % size === 0) return `${s / size} ${unit}`;
  }
  return `${s} s`;
}

function formatBytes(n) {
  if (typeof n !== 'number') return '';
  if (n < 1024) return plural(n, 'byte');
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    ++unit;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function factList(id, facts) {
  $(id).replaceChildren(...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}

// ---- addresses -------------------------------------------------------------

const encodePath = (path) => path.split('/').map(encodeURIComponent).join('/');

// The hash of a view: {view, project, path, from, to, q, mode}.
function hashOf(route) {
  if (!route.project) return '#/';
  const base = `#/p/${encodeURIComponent(route.project)}`;
  switch (route.view) {
    case 'code': return `${base}/code`;
    case 'file': {
      const lines = route.from ? `?L=${route.from}${route.to && route.to !== route.from ? `-${route.to}` : ''}` : '';
      return `${base}/file/${encodePath(route.path)}${lines}`;
    }
    case 'search': {
      if (!route.q) return `${base}/search`;
      return `${base}/search?${new URLSearchParams({ q: route.q, mode: route.mode || 'text' })}`;
    }
    default: return base;
  }
}

function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch (error) {
    return null;
  }
}

// The view a hash names; anything it cannot read is the projects list.
function parseHash(hash) {
  const text = hash.replace(/^#/, '');
  if (text && !text.startsWith('/')) {
    const name = decode(text);  // the page's old addresses: #NAME
    return name ? { view: 'project', project: name } : { view: 'projects' };
  }
  const mark = text.indexOf('?');
  const parts = (mark < 0 ? text : text.slice(0, mark)).split('/').slice(1);
  const query = new URLSearchParams(mark < 0 ? '' : text.slice(mark + 1));
  if (parts[0] !== 'p' || !parts[1]) return { view: 'projects' };
  const project = decode(parts[1]);
  if (project === null) return { view: 'projects' };
  const view = parts[2] || '';
  if (view === 'code') return { view: 'code', project };
  if (view === 'search') {
    const mode = MODES.includes(query.get('mode')) ? query.get('mode') : 'text';
    return { view: 'search', project, q: query.get('q') || '', mode };
  }
  if (view === 'file' && parts.length > 3) {
    const segments = parts.slice(3).map(decode);
    if (segments.includes(null)) return { view: 'code', project };
    const lines = /^(\d+)(?:-(\d+))?$/.exec(query.get('L') || '');
    const from = lines ? Number(lines[1]) : 0;
    const to = lines ? Number(lines[2] || lines[1]) : 0;
    return { view: 'file', project, path: segments.join('/'), from, to: Math.max(from, to) };
  }
  return { view: 'project', project };
}

function go(route) {
  const hash = hashOf(route);
  if (location.hash === hash) render().catch(showPageError);
  else location.hash = hash;
}

function fileLink(project, path, from, to, ...children) {
  return el('a', { href: hashOf({ view: 'file', project, path, from, to }) }, ...children);
}

// ---- the API ---------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

const projectPath = (name) => `/projects/${encodeURIComponent(name)}`;

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

// An error the API answered (not a refused token, which asks for another):
// the caller shows it where it belongs. Anything else is thrown on.
function apiProblem(error) {
  if (error instanceof ApiError && error.status !== 401) return error;
  throw error;
}

function showPageError(error) {
  if (!(error instanceof ApiError && error.status === 401)) setText('page-error', error.message, 'error');
}

// Runs an event handler; an error nobody else shows goes to the page.
function guarded(handler) {
  return async (event) => {
    try {
      await handler(event);
    } catch (error) {
      showPageError(error);
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
  state.selected = null;
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
  await render();
}

// ---- the views -------------------------------------------------------------

// Shows the view the address names: the one place that switches views.
async function render() {
  if ($('app').hidden) return;
  const route = parseHash(location.hash);
  state.route = route;
  setText('page-error', '');
  document.title = titleOf(route);
  if (route.view === 'projects') {
    showView('projects');
    renderProjects();  // the open project stays selected: its run is still followed
    return;
  }
  if (!state.projects.some((p) => p.name === route.project)) await loadProjects();
  if (!state.projects.some((p) => p.name === route.project)) {
    showView('projects');
    setText('page-error', `No project "${route.project}" (removed, or another tenant's).`, 'error');
    return;
  }
  showView('project');
  const tab = route.view === 'file' ? 'code' : (route.view === 'project' ? 'overview' : route.view);
  await selectProject(route.project);
  showTab(tab);
  if (tab === 'overview') await loadOverview();
  else if (tab === 'code') await showCode(route);
  else await showSearch(route);
  keepFocus(route.view === 'file' ? $('file-title') : $(`${tab}-heading`));
}

// The window's title: what the view shows, most specific first.
function titleOf(route) {
  const parts = [];
  if (route.view === 'file') parts.push(route.path);
  if (route.view === 'search') parts.push(route.q ? `search "${route.q}"` : 'search');
  if (route.view === 'code') parts.push('code');
  if (route.project) parts.push(route.project);
  return [...parts, 'Tether'].join(' · ');
}

// A view shown by a link that is now hidden (a search result, a tab of
// another view) would leave the keyboard's focus nowhere: it goes to the
// new view's heading instead.
function keepFocus(heading) {
  const active = document.activeElement;
  if (active && active !== document.body && active.getClientRects().length > 0) return;
  heading.focus({ preventScroll: true });
}

function showView(name) {
  $('projects-view').hidden = name !== 'projects';
  $('project-view').hidden = name !== 'project';
}

function showTab(tab) {
  const name = state.selected;
  const links = { overview: hashOf({ view: 'project', project: name }), code: hashOf({ view: 'code', project: name }),
                  search: hashOf({ view: 'search', project: name }) };
  for (const [id, hash] of Object.entries(links)) {
    const link = $(`tab-${id}`);
    link.href = hash;
    if (id === tab) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    $(`${id}-panel`).hidden = id !== tab;
  }
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
  $('projects-body').replaceChildren(...state.projects.map((p) => el('tr', { 'data-project': p.name },
    el('th', { scope: 'row', 'data-label': 'Name' },
      el('a', { href: hashOf({ view: 'project', project: p.name }), 'aria-label': `Open project ${p.name}` }, p.name)),
    el('td', { 'data-label': 'Branch' }, p.branch),
    el('td', { 'data-label': 'Status' }, statusBadge(p)),
    el('td', { 'data-label': 'Last synced' }, timeAgo(p.last_synced_at)),
    el('td', { class: 'error-text', 'data-label': 'Last error' }, p.last_error || ''))));
}

function statusBadge(p) {
  const text = p.status.replaceAll('_', ' ') + (p.sync_enabled === false ? ' (disabled)' : '');
  return el('span', { class: `status status-${p.status}` }, text);
}

function setProjectStatus(name, status) {
  const project = state.projects.find((p) => p.name === name);
  if (project && project.status !== status) {
    project.status = status;
    renderProjects();
  }
  if (state.project && state.project.name === name && state.project.status !== status) {
    state.project.status = status;
    renderActions();
  }
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
    return showAddError(apiProblem(error));
  }
  form.reset();
  setText('add-error', `Added project ${created.name}.`, 'ok');
  await loadProjects();
  go({ view: 'project', project: created.name });
}

// ---- one project -----------------------------------------------------------

// Makes `name` the open project; what belonged to another is forgotten.
async function selectProject(name) {
  $('project-heading').textContent = name;
  if (state.selected === name) return;
  state.selected = name;
  state.project = null;
  state.run = null;
  state.runningRunId = null;
  state.tree = null;
  state.file = null;
  state.search = '';
  setProgress(0, 'No sync yet in this page.', 'none');
  delete $('progress').dataset.outcome;
  setText('sync-message', '');
  setText('branch-error', '');
  $('runs-body').replaceChildren();
  showFile(null);
  $('tree').replaceChildren();
  $('tree-filter').value = '';
  $('search-results').replaceChildren();
  setText('search-message', '');
  renderActions();  // nothing to act on until the project's facts are read
}

async function loadOverview() {
  await Promise.all([loadProjectFacts(), loadBranches(), loadRuns()]);
}

async function loadProjectFacts() {
  const name = state.selected;
  const p = await api('GET', projectPath(name));
  if (name !== state.selected) return;
  state.project = p;
  factList('project-facts', [
    ['Repository', p.repo], ['Provider', p.provider], ['Storage', p.storage], ['Branch', p.branch],
    ['Status', p.status.replaceAll('_', ' ')], ['Syncing', p.sync_enabled ? 'enabled' : 'disabled'],
    ['Last synced commit', p.last_synced_commit || 'none'], ['Last synced', timeAgo(p.last_synced_at)],
    ['Schedule', scheduleText(p)],
    ['Worker', p.worker ? `${p.worker} runs it now` : (p.sync_requested ? 'a sync is queued for the first free worker' : 'none running')],
  ]);
  renderActions();
}

// The project's own schedule ("off", "adaptive", "<N>s") and when it is due
// next; the config's default is the server's to know.
function scheduleText(p) {
  if (p.schedule === null) return 'the server\'s default';
  const own = /^[0-9]+s$/.test(p.schedule) ? `every ${formatSeconds(Number.parseInt(p.schedule, 10))}` : p.schedule;
  if (p.schedule === 'off' || !p.sync_enabled) return own;
  return p.next_sync_at ? `${own}, next ${formatTime(p.next_sync_at)}` : `${own}, due now`;
}

// The run in progress, if the page knows one: followed from the events, or
// listed as running.
function activeRunId() {
  if (state.run && !state.run.finished && state.run.project === state.selected) return state.run.id;
  if (state.runningRunId !== null) return state.runningRunId;
  return null;
}

// The action buttons as the project's state allows them.
function renderActions() {
  const p = state.project;
  const active = activeRunId();
  const running = active !== null || (p && p.status === 'running');
  const sync = $('sync-now');
  sync.disabled = !p || running || !p.sync_enabled;
  sync.title = running ? 'A run is in progress' : (p && !p.sync_enabled ? 'Syncing is disabled' : '');
  const cancel = $('cancel-run');
  cancel.hidden = active === null;
  cancel.dataset.run = active === null ? '' : String(active);
  cancel.textContent = active === null ? 'Cancel run' : `Cancel run ${active}`;
  $('toggle-sync').textContent = p && !p.sync_enabled ? 'Enable syncing' : 'Disable syncing';
  $('toggle-sync').disabled = !p;
  $('remove-project').disabled = !p;
}

async function loadBranches() {
  const name = state.selected;
  const select = $('branch-select');
  let data;
  try {
    data = await api('GET', `${projectPath(name)}/branches`);
  } catch (error) {
    apiProblem(error);
    select.replaceChildren();
    setText('branch-error', `Cannot list the branches: ${error.message}`, 'error');
    return;
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
    setText('branch-error', apiProblem(error).message, 'error');
    return;
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
      // No worker of this server was free (or it runs none), or a run holds
      // the project (PostgreSQL): the request waits in the database, and
      // the first free worker starts it.
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
    apiProblem(error);
    if (error.status === 409 && /disabled/i.test(error.message)) {
      setText('sync-message', `Not started: syncing is disabled for this project. ${error.message}`, 'error');
    } else if (error.status === 409) {
      setText('sync-message', `Already running: ${error.message}`, 'error');
    } else {
      setText('sync-message', `Not started: ${error.message}`, 'error');
    }
  } finally {
    renderActions();
  }
}

async function cancelRun() {
  const id = activeRunId();
  if (id === null) return;
  $('cancel-run').disabled = true;
  try {
    await api('POST', `${projectPath(state.selected)}/runs/${id}/cancel`);
    setText('sync-message', `Asked run ${id} to stop; it ends at its next check.`, 'ok');
  } catch (error) {
    setText('sync-message', `Not cancelled: ${apiProblem(error).message}`, 'error');
    await loadRuns();
  } finally {
    $('cancel-run').disabled = false;
  }
}

async function toggleSync() {
  const p = state.project;
  if (!p) return;
  const enable = !p.sync_enabled;
  try {
    await api('PATCH', projectPath(p.name), { sync_enabled: enable });
  } catch (error) {
    setText('sync-message', apiProblem(error).message, 'error');
    return;
  }
  setText('sync-message', enable ? 'Syncing enabled.' : 'Syncing disabled: no sync starts until it is enabled again.', 'ok');
  await Promise.all([loadProjects(), loadProjectFacts()]);
}

// Remove asks first, in a modal dialog naming the project; "Keep it" (or
// Escape) changes nothing.
function askRemove() {
  const name = state.selected;
  $('remove-title').textContent = `Remove project ${name}?`;
  $('remove-text').textContent = `Tether stops following ${state.project ? state.project.repo : 'its repository'} ` +
    `and deletes the project with its synced documents. The repository itself is not touched.`;
  $('remove-dialog').dataset.project = name;
  $('remove-dialog').showModal();
}

async function confirmRemove() {
  const dialog = $('remove-dialog');
  const name = dialog.dataset.project;
  dialog.close();
  try {
    await api('DELETE', projectPath(name));
  } catch (error) {
    setText('sync-message', `Not removed: ${apiProblem(error).message}`, 'error');
    return;
  }
  state.selected = null;
  await loadProjects();
  go({ view: 'projects' });
  setText('add-error', `Removed project ${name}.`, 'ok');
}

// ---- progress --------------------------------------------------------------

function followRun(id, project) {
  state.run = { id, project, finished: false };
  const bar = $('progress');
  delete bar.dataset.outcome;
  bar.dataset.run = String(id);
  renderActions();
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

function filesText(counts) {
  return `${counts.added} added, ${counts.modified} modified, ${counts.deleted} deleted, ${counts.renamed} renamed`;
}

function runSummary(outcome, counts, totalMs, error) {
  const time = typeof totalMs === 'number' ? ` in ${formatMs(totalMs)}` : '';
  if (outcome === 'failed' || outcome === 'interrupted') return `${outcome}${time}: ${error || 'no reason given'}`;
  if (outcome === 'cancelled') return `cancelled${time}: ${error || 'nothing was written'}`;
  if (outcome === 'noop') return `found nothing new${time}`;
  return `${outcome}${time}: ${filesText(counts)}`;
}

// A run ended: the bar says how (a failed run's bar is drawn as failed, a
// cancelled one as stopped), and what the run changed is loaded again.
async function finishRun(id, outcome, text, source) {
  state.run.finished = true;
  if (state.runningRunId === id) state.runningRunId = null;
  renderActions();
  const bar = $('progress');
  bar.dataset.outcome = outcome;
  bar.dataset.run = String(id);
  setProgress(100, `Run ${id} ${text}`, source);
  if (outcome === 'succeeded') state.tree = null;  // files changed: the tree is read again when shown
  await Promise.all([loadProjects(), loadProjectFacts(), loadBranches(), loadRuns()]);
  if (outcome === 'succeeded' && ['code', 'file'].includes(state.route.view)) {
    state.file = null;  // read again: it may have changed
    await showCode(state.route);
  }
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
  await finishRun(run.id, record.outcome, runSummary(record.outcome, counts, record.duration_ms, record.error), 'polling');
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
    showPageError(error);
  }
}

// ---- runs ------------------------------------------------------------------

async function loadRuns() {
  const name = state.selected;
  const data = await api('GET', `${projectPath(name)}/runs?limit=20`);
  if (name !== state.selected) return;
  const running = data.runs.find((run) => run.outcome === 'running');
  state.runningRunId = running ? running.id : null;
  // A run started before this page looked (or queued behind the last one):
  // followed too, so that polling sees it end when the stream is down.
  if (running && (!state.run || (state.run.finished && state.run.id !== running.id))) followRun(running.id, name);
  renderActions();
  $('runs-empty').hidden = data.runs.length > 0;
  $('runs-table').hidden = data.runs.length === 0;
  $('runs-body').replaceChildren(...data.runs.map(runRow));
}

function runRow(run) {
  const timings = el('ul', { class: 'timings' }, ...PHASES
    .filter((phase) => run.timings_ms && typeof run.timings_ms[phase] === 'number')
    .map((phase) => el('li', {}, `${phase} ${formatMs(run.timings_ms[phase])}`)));
  const counts = { added: run.files_added, modified: run.files_modified, deleted: run.files_deleted,
                   renamed: run.files_renamed };
  const files = filesText(counts) + (run.files_skipped ? `, ${run.files_skipped} skipped` : '');
  const duration = run.outcome === 'running' ? 'running' : formatMs(run.duration_ms);
  return el('tr', { 'data-run': run.id, 'data-outcome': run.outcome },
    el('th', { scope: 'row', 'data-label': 'Run' }, `#${run.id}`),
    el('td', { 'data-label': 'Started' }, timeAgo(run.started_at)),
    el('td', { 'data-label': 'Trigger' }, run.trigger),
    el('td', { 'data-label': 'Outcome' }, el('span', { class: `status status-${run.outcome}` }, run.outcome)),
    el('td', { 'data-label': 'Duration', class: 'duration' }, duration),
    el('td', { 'data-label': 'Files' }, (run.mode ? `${run.mode}: ` : '') + files),
    el('td', { 'data-label': 'Read', class: 'bytes' }, formatBytes(run.bytes_read)),
    el('td', { 'data-label': 'Phases' }, timings),
    el('td', { class: 'error-text', 'data-label': 'Error' }, run.error || ''));
}

// ---- the file tree ---------------------------------------------------------

// The project's paths, a thousand a request, up to TREE_MAX_PATHS; kept
// until a run changes the files.
async function loadTree() {
  const name = state.selected;
  if (state.tree && state.tree.project === name) return state.tree;
  setText('tree-status', 'Loading the files…');
  const paths = [];
  let cursor = null;
  let truncated = false;
  do {
    const query = new URLSearchParams({ limit: String(TREE_PAGE) });
    if (cursor) query.set('cursor', cursor);
    const page = await api('GET', `${projectPath(name)}/documents?${query}`);
    if (name !== state.selected) return null;
    for (const d of page.documents) paths.push({ path: d.path, size: d.size, is_binary: d.is_binary });
    cursor = page.next_cursor;
    truncated = cursor !== null && paths.length >= TREE_MAX_PATHS;
  } while (cursor && !truncated);
  state.tree = { project: name, paths, truncated, root: buildTree(paths) };
  return state.tree;
}

// Folders as {name, path, folders: Map, files: []}, from sorted paths.
function buildTree(paths) {
  const root = { name: '', path: '', folders: new Map(), files: [], count: 0 };
  for (const file of paths) {
    const parts = file.path.split('/');
    let folder = root;
    ++root.count;
    for (let i = 0; i < parts.length - 1; ++i) {
      let next = folder.folders.get(parts[i]);
      if (!next) {
        next = { name: parts[i], path: parts.slice(0, i + 1).join('/'), folders: new Map(), files: [], count: 0 };
        folder.folders.set(parts[i], next);
      }
      ++next.count;
      folder = next;
    }
    folder.files.push({ ...file, name: parts[parts.length - 1] });
  }
  return root;
}

async function showCode(route) {
  const tree = await loadTree();
  if (!tree) return;
  if (state.treeShown !== tree) renderTree();
  if (route.view === 'file') {
    await openFile(route);
  } else {
    showFile(null);
    await showDocs(state.selected, '', 'the project');
  }
}

// The tree, or the files whose path holds the filter's text.
function renderTree() {
  const tree = state.tree;
  if (!tree) return;
  state.treeShown = tree;
  const typed = $('tree-filter').value.trim();
  const filter = typed.toLowerCase();
  $('tree').dataset.filter = filter;  // what the list shows (the browser test waits for it)
  const open = state.file ? state.file.path : null;
  const more = tree.truncated ? ` (the first ${tree.paths.length}; search finds the rest)` : '';
  if (!filter) {
    setText('tree-status', tree.paths.length === 0 ? 'No files yet: sync the project.'
      : `${plural(tree.paths.length, 'file')}${more}.`);
    $('tree').replaceChildren(folderList(tree.root, open, true));
    return;
  }
  const matches = tree.paths.filter((f) => f.path.toLowerCase().includes(filter));
  setText('tree-status', matches.length === 0 ? `No file path holds "${typed}".`
    : `${plural(matches.length, 'file')} match${matches.length > FILTER_SHOWN ? `, the first ${FILTER_SHOWN} shown` : ''}.`);
  $('tree').replaceChildren(el('ul', { class: 'tree-list matches' },
    ...matches.slice(0, FILTER_SHOWN).map((f) => el('li', {}, fileEntry(f, f.path, open)))));
}

function fileEntry(file, label, open) {
  const link = fileLink(state.selected, file.path, 0, 0, label);
  link.dataset.path = file.path;
  if (file.path === open) link.setAttribute('aria-current', 'page');
  return link;
}

// One folder's list: folders (as <details>, their children made when first
// opened, so a large tree costs only what is looked at), then files.
function folderList(folder, open, top) {
  const list = el('ul', { class: top ? 'tree-list' : 'tree-list nested' });
  for (const sub of [...folder.folders.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const inside = open !== null && open.startsWith(`${sub.path}/`);
    const details = el('details', { 'data-folder': sub.path, open: inside },
      el('summary', {}, sub.name, el('span', { class: 'hint' }, ` ${sub.count}`)));
    const fill = () => {
      if (details.open && details.childElementCount === 1) details.append(folderList(sub, open, false));
    };
    details.addEventListener('toggle', fill);
    details.fill = fill;
    fill();
    list.append(el('li', {}, details));
  }
  for (const file of folder.files.slice(0, FOLDER_SHOWN)) list.append(el('li', {}, fileEntry(file, file.name, open)));
  if (folder.files.length > FOLDER_SHOWN) {
    list.append(el('li', { class: 'hint' }, `${folder.files.length - FOLDER_SHOWN} more files here: filter to find them`));
  }
  return list;
}

// Marks the open file in the tree, opening the folders above it.
function markTreeFile(path) {
  for (const link of $('tree').querySelectorAll('a[aria-current]')) link.removeAttribute('aria-current');
  const parts = path.split('/');
  for (let i = 1; i < parts.length; ++i) {
    const folder = $('tree').querySelector(`details[data-folder="${CSS.escape(parts.slice(0, i).join('/'))}"]`);
    if (!folder) break;
    folder.open = true;
    folder.fill();
  }
  $('tree').querySelector(`a[data-path="${CSS.escape(path)}"]`)?.setAttribute('aria-current', 'page');
}

// ---- one file --------------------------------------------------------------

// Opens `route.path` (or, when it is open, only marks the lines and
// scrolls to them).
async function openFile(route) {
  const name = state.selected;
  if (!state.file || state.file.project !== name || state.file.path !== route.path) {
    state.opening = route.path;  // a later click wins over this one's answer
    let doc;
    try {
      doc = await api('GET', `${projectPath(name)}/documents/${encodePath(route.path)}`);
    } catch (error) {
      if (name !== state.selected || state.opening !== route.path) return;
      showFile(null);
      $('file-title').textContent = route.path;
      setText('file-note', `Cannot open this file: ${apiProblem(error).message}`, 'error');
      return;
    }
    if (name !== state.selected || state.opening !== route.path) return;
    showFile(doc);
    markTreeFile(doc.path);
    await Promise.all([showOutline(name, doc.path), showDocs(name, doc.path, '')]);
    // On a narrow screen the file is under the tree: bring it into view.
    if (!route.from && $('file-view').getBoundingClientRect().top > window.innerHeight * 0.6) {
      $('file-view').scrollIntoView({ block: 'start' });
    }
  }
  markLines(route.from, route.to);
}

function showFile(doc) {
  state.file = doc ? { project: state.selected, path: doc.path, doc, lines: null, shown: 0 } : null;
  $('file-title').textContent = doc ? doc.path : 'Pick a file from the tree';
  $('file-facts').textContent = doc ? [formatBytes(doc.size), doc.language || 'language unknown',
    `commit ${doc.updated_commit.slice(0, 12)}`].join(' · ') : '';
  setText('file-note', '');
  $('code').replaceChildren();
  $('code').hidden = true;
  $('show-more').hidden = true;
  $('outline-box').hidden = true;
  $('outline').replaceChildren();
  $('file-docs').hidden = true;
  $('file-docs-body').replaceChildren();
  if (!doc) return;
  if (doc.is_binary) {
    setText('file-note', `Binary file (${formatBytes(doc.size)}): not shown.`);
    return;
  }
  if (typeof doc.content !== 'string') {
    setText('file-note', `No content stored for this file (${formatBytes(doc.size)}: over the content limit?).`);
    return;
  }
  state.file.lines = doc.content.split(/\r?\n/);
  if (state.file.lines.length > 1 && state.file.lines[state.file.lines.length - 1] === '') state.file.lines.pop();
  $('code').hidden = false;
  showLines(LINES_STEP);
}

// Renders lines up to `count` (the first LINES_STEP at once, "Show more"
// adds as many), so a file of 100,000 lines does not freeze the page.
function showLines(count) {
  const file = state.file;
  const upto = Math.min(count, file.lines.length);
  const fragment = document.createDocumentFragment();
  for (let i = file.shown; i < upto; ++i) {
    fragment.append(el('div', { class: 'line', id: `L${i + 1}`, 'data-line': i + 1 },
      el('span', { class: 'ln', 'aria-hidden': 'true' }, String(i + 1)),
      lineText(file.lines[i])));
  }
  $('code').append(fragment);
  file.shown = upto;
  const left = file.lines.length - upto;
  $('show-more').hidden = left === 0;
  $('show-more').textContent = `Show more lines (${Math.min(left, LINES_STEP)} of ${left} left)`;
  setText('file-note', left === 0 ? `${plural(file.lines.length, 'line')}.`
    : `${plural(file.lines.length, 'line')}; the first ${upto} shown.`);
}

// A line's text; one longer than LINE_CHARS (minified code) is cut, saying so.
function lineText(line) {
  if (line.length <= LINE_CHARS) return el('span', { class: 'lc' }, line);
  return el('span', { class: 'lc' }, line.slice(0, LINE_CHARS),
    el('span', { class: 'hint' }, ` … ${line.length - LINE_CHARS} more characters on this line`));
}

// Marks lines from..to and scrolls the first into view.
function markLines(from, to) {
  for (const line of $('code').querySelectorAll('.line[data-hit]')) line.removeAttribute('data-hit');
  const file = state.file;
  if (!file || !file.lines || !from) return;
  const last = Math.min(to || from, file.lines.length);
  if (last > file.shown) showLines(Math.ceil(last / LINES_STEP) * LINES_STEP);
  for (let n = from; n <= last; ++n) $(`L${n}`)?.setAttribute('data-hit', '');
  $(`L${from}`)?.scrollIntoView({ block: 'center' });
}

// A click on a line number marks that line in the address.
function onCodeClick(event) {
  const number = event.target.closest('.ln');
  if (!number || !state.file) return;
  go({ view: 'file', project: state.selected, path: state.file.path, from: Number(number.textContent) });
}

// The code analyzer's symbols of the file, nested by their parents; each
// opens the file at its lines.
async function showOutline(name, path) {
  let result;
  try {
    result = await api('GET', `${projectPath(name)}/analysis/${encodePath(path)}`);
  } catch (error) {
    apiProblem(error);
    return;  // no analysis for this file (yet): no outline
  }
  if (!state.file || state.file.path !== path || !result.symbols || result.symbols.length === 0) return;
  const depth = new Map();
  const items = result.symbols.map((s) => {
    const level = s.parent && depth.has(s.parent) ? depth.get(s.parent) + 1 : 0;
    if (!depth.has(s.name)) depth.set(s.name, level);
    const link = fileLink(name, path, s.start_line, s.end_line, s.name);
    link.dataset.line = String(s.start_line);
    return el('li', { class: `level-${Math.min(level, 4)}`, title: s.signature || '' },
      link, el('span', { class: 'hint' }, ` ${s.kind}, ${s.start_line === s.end_line ? `line ${s.start_line}`
        : `lines ${s.start_line}-${s.end_line}`}`));
  });
  $('outline').replaceChildren(...items);
  $('outline-box').hidden = false;
}

// The documentation page of a file (or, for path "", the project's index
// with its README and repository map), written by the server from the
// analysis (HTML from cmark, without raw HTML or unsafe links; the page's
// CSP allows no inline script and no image from elsewhere either).
async function showDocs(name, path, what) {
  let page = null;
  let why = '';
  try {
    page = await api('GET', `${projectPath(name)}/docs${path ? `/${encodePath(path)}` : ''}`);
  } catch (error) {
    why = apiProblem(error).message;
  }
  if (name !== state.selected || (state.file ? state.file.path : '') !== path) return;
  const body = $('file-docs-body');
  $('file-docs').hidden = false;
  $('file-docs-title').textContent = what ? `Documentation of ${what}` : 'Documentation';
  if (page) {
    body.innerHTML = page.html;
    // Links between pages point into an exported site, not this page.
    for (const link of body.querySelectorAll('a')) link.replaceWith(...link.childNodes);
  } else {
    body.textContent = `No documentation: ${why}`;
  }
}

// ---- search ----------------------------------------------------------------

function submitSearch(event) {
  event.preventDefault();
  const form = $('search-form');
  go({ view: 'search', project: state.selected, q: form.elements.q.value.trim(),
       mode: form.elements.mode.value });
}

// Runs the search the address names (once: going back to it shows it
// again without asking the server).
async function showSearch(route) {
  const form = $('search-form');
  form.elements.q.value = route.q;
  form.elements.mode.value = route.mode;
  const key = hashOf(route);
  if (state.search === key) return;
  state.search = key;
  const list = $('search-results');
  list.replaceChildren();
  if (!route.q) {
    setText('search-message', 'Text finds a string as written; symbol finds names of functions, classes and ' +
      'headings; semantic finds code by what it is about.');
    return;
  }
  setText('search-message', 'Searching…');
  const name = state.selected;
  const query = new URLSearchParams({ project: name, q: route.q, mode: route.mode, limit: String(SEARCH_LIMIT) });
  let data;
  try {
    data = await api('GET', `/search?${query}`);
  } catch (error) {
    if (state.search !== key) return;
    setText('search-message', `No search: ${apiProblem(error).message}`, 'error');
    return;
  }
  if (state.search !== key) return;
  const count = data.hits.length;
  setText('search-message', count === 0 ? `Nothing found for "${route.q}" (${route.mode}).`
    : `${count}${data.more ? '+' : ''} result${count === 1 ? '' : 's'} (${route.mode}) at commit ` +
      `${(data.commit || '').slice(0, 12)} of ${data.branch}` +
      (data.mode === 'semantic' ? `, nearest of ${data.compared} chunks (${data.space}).` : '.'));
  list.replaceChildren(...data.hits.map((hit) => searchHit(name, data.mode, hit)));
}

function searchHit(name, mode, hit) {
  const lines = hit.start_line === hit.end_line ? `${hit.start_line}` : `${hit.start_line}-${hit.end_line}`;
  const title = mode === 'symbol' ? `${hit.symbol} (${hit.kind})` : `${hit.path}:${lines}`;
  const link = fileLink(name, hit.path, hit.start_line, hit.end_line, title);
  link.dataset.path = hit.path;
  const where = mode === 'symbol' ? `${hit.path}:${lines}` : '';
  const score = mode === 'semantic' ? `score ${hit.score.toFixed(3)}` : '';
  return el('li', {},
    el('div', { class: 'hit-head' }, link, el('span', { class: 'hint' }, ` ${[where, score].filter(Boolean).join(' · ')}`)),
    hit.snippet ? el('pre', { class: 'snippet' }, hit.snippet) : null);
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
    : `Last verify: ${plural(problems.length, 'problem')}.`, problems.length ? 'error' : 'ok');
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

function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

function wire() {
  $('token-form').addEventListener('submit', guarded(useToken));
  $('change-token').addEventListener('click', () => askForToken(''));
  $('refresh-projects').addEventListener('click', guarded(loadProjects));
  $('add-form').addEventListener('submit', guarded(addProject));
  $('branch-form').addEventListener('submit', guarded(saveBranch));
  $('sync-now').addEventListener('click', guarded(syncNow));
  $('cancel-run').addEventListener('click', guarded(cancelRun));
  $('toggle-sync').addEventListener('click', guarded(toggleSync));
  $('remove-project').addEventListener('click', askRemove);
  $('remove-keep').addEventListener('click', () => $('remove-dialog').close());
  $('remove-confirm').addEventListener('click', guarded(confirmRemove));
  $('tree-filter').addEventListener('input', debounce(renderTree, 120));
  $('show-more').addEventListener('click', () => showLines(state.file.shown + LINES_STEP));
  $('code').addEventListener('click', onCodeClick);
  $('search-form').addEventListener('submit', submitSearch);
  $('verify-run').addEventListener('click', guarded(() => runVerify(false)));
  $('verify-deep').addEventListener('click', guarded(() => runVerify(true)));
  window.addEventListener('hashchange', guarded(render));
  setInterval(guarded(pollRun), POLL_MS);
  setInterval(refreshTimes, 30000);
}

wire();
if (state.token) guarded(start)(); else askForToken('');
