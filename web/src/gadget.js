// The gadget's view: a summary tile per metric, and for the selected metric its level, change
// from the previous window, weekly chart, data-quality notes and drill-down.
import { ApiError, firstSyncText, metricIds, syncPollMs } from './api.js';
import { weeklyChart } from './chart.js';
import { h, svg } from './dom.js';
import {
  addDays, daysBetween, formatAge, formatDeployedAt, formatHours, formatInstant, formatRate, formatWindow, localDate, oneDecimal,
  compareIssueKeys, sortIssueKeys, weekStart,
} from './format.js';
import { exclusionReasons, levelOf, metricById, metrics, qualityNotes } from './metrics.js';

const levelWords = { elite: 'Elite', high: 'High', medium: 'Medium', low: 'Low' };

/**
 * Runs the gadget view in root until the page unloads.
 * @param {HTMLElement} root
 * @param {import('./api.js').Api} api
 * @param {import('./adapter.js').Adapter} adapter
 * @param {{configuration: any, siteUrl: string}} context
 */
export function startGadget(root, api, adapter, context) {
  const configuration = normalizeConfiguration(context.configuration);
  const state = {
    configuration,
    projectId: configuration?.projects[0] ?? '',
    projects: [],
    siteUrl: context.siteUrl,
    metric: metricIds.includes(configuration?.metric) ? configuration.metric : metricIds[0],
    phase: 'loading', // loading, ready, error, unconfigured, syncing
    error: null,
    // defaulted is true when the dev server shows the first browsable project because no
    // configuration is saved; noProjects when the viewer may browse none.
    defaulted: false,
    noProjects: false,
    // pollTimer is the pending reload while the first sync with Jira runs.
    pollTimer: 0,
    report: null,
    previous: null,
    previousError: null,
    drilldown: new Map(), // metric id -> {status: 'loading'|'ready'|'error', data, error}
    drilldownOpen: false,
    // pending counts requests in flight. generation identifies the current load, so late replies
    // of an earlier load are dropped.
    pending: 0,
    generation: 0,
  };

  // track counts a request as pending until it settles, so the page can mark when it is idle.
  const track = async (promise) => {
    state.pending += 1;
    try {
      return await promise;
    } finally {
      state.pending -= 1;
    }
  };

  const render = () => {
    const focusedId = document.activeElement?.id;
    root.replaceChildren(view(state, actions, adapter));
    root.setAttribute('aria-busy', state.phase === 'loading' ? 'true' : 'false');
    // data-settled is "true" when no request is in flight, for tests and other scripts that wait on the page.
    root.dataset.settled = String(state.phase !== 'loading' && state.pending === 0);
    if (focusedId) {
      document.getElementById(focusedId)?.focus();
    }
  };

  const loadDrilldown = async (metricId) => {
    const existing = state.drilldown.get(metricId);
    if (existing && existing.status !== 'error') {
      return;
    }
    const generation = state.generation;
    state.drilldown.set(metricId, { status: 'loading' });
    const request = track(api.drilldown(state.projectId, metricId, windowOf(state.report)));
    render();
    let entry;
    try {
      entry = { status: 'ready', data: (await request) ?? {} };
    } catch (err) {
      entry = { status: 'error', error: err };
    }
    if (generation === state.generation) {
      state.drilldown.set(metricId, entry);
      render();
    }
  };

  // waitForSync shows that the first sync with Jira runs and loads again in a few seconds.
  const waitForSync = () => {
    state.phase = 'syncing';
    clearTimeout(state.pollTimer);
    state.pollTimer = setTimeout(() => load({ quiet: true }), syncPollMs);
    render();
  };

  // chooseDefault picks, on the dev server without a saved configuration, the first project the
  // viewer may browse with the default window. It leaves state.configuration null when there is
  // none yet, after showing why.
  const chooseDefault = async (quiet) => {
    if (!quiet) {
      state.phase = 'loading';
      render();
    }
    let result;
    try {
      result = await track(api.projects());
    } catch (err) {
      state.phase = 'error';
      state.error = err instanceof ApiError ? err : new ApiError(0, 'internal', String(err));
      render();
      return;
    }
    state.projects = result.projects;
    state.siteUrl = state.siteUrl || result.siteUrl;
    if (result.projects.length > 0) {
      state.configuration = { projects: [result.projects[0].id], window: { window: 90 }, metric: state.metric };
      state.projectId = result.projects[0].id;
      state.defaulted = true;
      return;
    }
    if (result.syncing) {
      waitForSync();
      return;
    }
    state.phase = 'unconfigured';
    state.noProjects = true;
    render();
  };

  // load fetches the report of the current project and window. quiet keeps the current view
  // until the reply arrives, for the reloads while the first sync runs.
  const load = async ({ quiet = false } = {}) => {
    clearTimeout(state.pollTimer);
    if (!state.configuration && adapter.kind === 'local') {
      await chooseDefault(quiet);
    }
    if (!state.configuration) {
      if (state.phase !== 'syncing' && state.phase !== 'error') {
        state.phase = 'unconfigured';
        render();
      }
      return;
    }
    state.generation += 1;
    const generation = state.generation;
    const current = () => generation === state.generation;
    state.error = null;
    state.report = null;
    state.previous = null;
    state.previousError = null;
    state.drilldown = new Map();
    if (!quiet || state.phase !== 'syncing') {
      state.phase = 'loading';
      render();
    }

    if (state.configuration.projects.length > 1 || !state.siteUrl) {
      // The project names label the picker and the site URL makes issue keys links. Without
      // them the gadget still works, so a failure is not shown.
      track(api.projects()).then((result) => {
        if (current()) {
          state.projects = result.projects;
          state.siteUrl = state.siteUrl || result.siteUrl;
        }
        render();
      }, () => render());
    }

    let report;
    try {
      report = await track(api.report(state.projectId, state.configuration.window));
    } catch (err) {
      if (current()) {
        state.error = err instanceof ApiError ? err : new ApiError(0, 'internal', String(err));
        if (state.error.notComputed) {
          waitForSync();
        } else {
          state.phase = 'error';
          render();
        }
      }
      return;
    }
    if (!current()) {
      return;
    }
    state.report = report;
    state.phase = 'ready';

    const reportWindow = report.window;
    const days = daysBetween(reportWindow.from, reportWindow.to);
    if (days > 0) {
      const previous = track(api.report(state.projectId, { from: addDays(reportWindow.from, -days), to: reportWindow.from }));
      render();
      try {
        const previousReport = await previous;
        if (current()) {
          state.previous = previousReport;
        }
      } catch (err) {
        if (current()) {
          state.previousError = err;
        }
      }
      if (!current()) {
        return;
      }
    }
    render();
    if (state.metric === 'reworkRate' || state.drilldownOpen) {
      loadDrilldown(state.metric);
    }
  };

  const actions = {
    selectMetric(metricId, focus) {
      state.metric = metricId;
      render();
      if (focus) {
        document.getElementById(`tab-${metricId}`)?.focus();
      }
      if (metricId === 'reworkRate' || state.drilldownOpen) {
        loadDrilldown(metricId);
      }
    },
    selectProject(projectId) {
      state.projectId = projectId;
      load();
    },
    toggleDrilldown() {
      state.drilldownOpen = !state.drilldownOpen;
      render();
      if (state.drilldownOpen) {
        loadDrilldown(state.metric);
      }
    },
    retry: () => load(),
    retryDrilldown: () => loadDrilldown(state.metric),
    edit: () => adapter.openEditView(),
  };

  // The charts are drawn at the page's width, so a resized dashboard column redraws them.
  let resizeFrame = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(() => {
      if (state.phase === 'ready') {
        render();
      }
    });
  });

  load();
}

/**
 * Returns a gadget configuration with known fields, or null when it names no project.
 * @param {any} raw the stored configuration
 */
export function normalizeConfiguration(raw) {
  if (!raw || typeof raw !== 'object') {
    return null;
  }
  let projects = Array.isArray(raw.projects) ? raw.projects.filter((p) => typeof p === 'string' && p !== '') : [];
  if (projects.length === 0 && typeof raw.project === 'string' && raw.project !== '') {
    projects = [raw.project];
  }
  if (projects.length === 0) {
    return null;
  }
  const window = raw.from && raw.to ? { from: String(raw.from), to: String(raw.to) } : { window: Number(raw.window) || 90 };
  return { projects, window, metric: typeof raw.metric === 'string' ? raw.metric : metricIds[0] };
}

function windowOf(report) {
  return { from: report.window.from, to: report.window.to };
}

function view(state, actions, adapter) {
  switch (state.phase) {
    case 'unconfigured':
      return unconfiguredView(state, adapter, actions);
    case 'syncing':
      return syncingView(state);
    case 'loading':
      return loadingView();
    case 'error':
      return errorView(state, actions);
    default:
      return reportView(state, actions, adapter);
  }
}

function unconfiguredView(state, adapter, actions) {
  if (state.noProjects) {
    return h('section', { class: 'state state-unconfigured', 'data-state': 'unconfigured' },
      stateIcon('lock'),
      h('h2', { class: 'state-title', text: 'No project to show' }),
      h('p', { text: 'You cannot browse any project that the app has read from Jira. Ask a Jira administrator for the Browse Projects permission on a project.' }));
  }
  return h('section', { class: 'state state-unconfigured', 'data-state': 'unconfigured' },
    h('h2', { class: 'state-title', text: 'Choose a project to see its DORA metrics' }),
    h('p', { text: adapter.kind === 'forge'
      ? 'Open this gadget\'s settings from its menu and pick one or more projects.'
      : 'Pick one or more projects and a time window in the gadget settings.' }),
    adapter.kind === 'local' && h('button', { type: 'button', class: 'button button-primary', id: 'configure', onclick: actions.edit, text: 'Configure gadget' }));
}

// Shows that the installation's first sync with Jira runs; the page loads again by itself.
function syncingView(state) {
  const project = state.projects.find((p) => p.id === state.projectId);
  return h('section', { class: 'state state-syncing', 'data-state': 'syncing', role: 'status' },
    h('div', { class: 'state-heading' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      h('h2', { class: 'state-title', text: project ? `Syncing ${project.name} with Jira` : 'Syncing with Jira' })),
    h('p', { text: firstSyncText }),
    h('p', { class: 'muted', text: 'Large sites take longer: the app reads every issue\'s history once, then only the changes.' }));
}

function loadingView() {
  return h('section', { class: 'state state-loading', 'data-state': 'loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    h('span', { text: 'Loading DORA metrics…' }),
    h('div', { class: 'tiles tiles-skeleton', 'aria-hidden': 'true' }, metrics.map(() => h('div', { class: 'tile tile-skeleton' }))));
}

function errorView(state, actions) {
  const error = state.error;
  if (error.forbidden) {
    return h('section', { class: 'state state-forbidden', 'data-state': 'forbidden', role: 'alert' },
      stateIcon('lock'),
      h('h2', { class: 'state-title', text: 'You can\'t see metrics for this project' }),
      h('p', { text: 'Your Jira account needs the Browse Projects permission on the project. Ask a Jira administrator for access, or pick a project you can browse in the gadget settings.' }),
      h('p', { class: 'state-detail', text: sentence(error.message) }));
  }
  const notFound = error.status === 404;
  return h('section', { class: 'state state-error', 'data-state': 'error', role: 'alert' },
    stateIcon('warning'),
    h('h2', { class: 'state-title', text: notFound ? 'No metrics for this project' : 'The metrics could not be loaded' }),
    h('p', { class: 'state-detail', text: sentence(error.message) }),
    h('p', { text: notFound
      ? 'Pick another project in the gadget settings. A project created since the last sync appears after the next one.'
      : 'This is usually temporary. Try again, and if it keeps failing, tell your Jira administrator.' }),
    h('button', { type: 'button', class: 'button', id: 'retry', onclick: actions.retry, text: 'Try again' }));
}

// Returns a server message as a sentence: a capital first letter and a final full stop.
function sentence(text) {
  const trimmed = String(text ?? '').trim();
  if (trimmed === '') {
    return '';
  }
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

// Draws a state's icon as inline SVG, because emoji depend on the viewer's fonts.
function stateIcon(kind) {
  const paths = {
    lock: 'M7 10V7a5 5 0 0 1 10 0v3h1a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1h1zm2 0h6V7a3 3 0 0 0-6 0v3zm3 3a1.5 1.5 0 0 0-1 2.6V18h2v-2.4a1.5 1.5 0 0 0-1-2.6z',
    warning: 'M12 2.5 1.5 21h21L12 2.5zm-1 7h2v6h-2v-6zm0 8h2v2h-2v-2z',
  };
  return svg('svg', { class: `state-icon state-icon-${kind}`, viewBox: '0 0 24 24', width: 32, height: 32, 'aria-hidden': 'true', focusable: 'false' },
    svg('path', { d: paths[kind], 'fill-rule': 'evenodd' }));
}

function reportView(state, actions, adapter) {
  const report = state.report;
  const metric = metricById(state.metric);
  const noDeployments = (report.deploymentFrequency?.count ?? 0) === 0;

  return h('article', { class: 'gadget', 'data-state': noDeployments ? 'empty' : 'ready', 'aria-labelledby': 'gadget-title' },
    header(state, actions, adapter),
    noDeployments && h('p', { class: 'notice notice-empty', 'data-state-note': 'empty', role: 'status' },
      h('strong', { text: 'No deployments in this window. ' }),
      'Widen the window, or check the deployment source in the settings: with versions, only released versions with a release date count.'),
    h('div', { class: 'tiles', role: 'tablist', 'aria-label': 'DORA metrics' },
      metrics.map((m, index) => tile(state, m, index, actions))),
    detailPanel(state, metric, actions, adapter),
    flowLine(report));
}

// Shows the two flow numbers the report carries beside the DORA metrics.
function flowLine(report) {
  const throughput = typeof report.throughput === 'number' ? `${oneDecimal(report.throughput)} changes done a week` : 'no changes done';
  const reopened = formatRate(report.reopenRate);
  return h('p', { class: 'flow muted', id: 'flow' },
    h('span', { text: 'Throughput: ' }), h('strong', { 'data-flow': 'throughput', text: throughput }),
    h('span', { text: ' · Reopened after done: ' }), h('strong', { 'data-flow': 'reopenRate', text: reopened === '—' ? 'no data' : reopened }));
}

function header(state, actions, adapter) {
  const report = state.report;
  const project = report.project ?? {};
  const showPicker = state.configuration.projects.length > 1;
  return h('header', { class: 'gadget-header' },
    h('div', { class: 'gadget-heading' },
      h('h2', { id: 'gadget-title', class: 'gadget-title' },
        h('span', { class: 'project-name', text: project.name || project.key || state.projectId }),
        project.key && h('span', { class: 'project-key', text: project.key })),
      h('p', { class: 'gadget-window', id: 'window-text' },
        h('span', { text: formatWindow(report.window) }),
        h('span', { class: 'muted', text: ` · ${report.window.timeZone}` }),
        report.computedAt && h('span', { class: 'muted', text: ` · updated ${formatAge(report.computedAt)}` })),
      state.defaulted && h('p', { class: 'hint', id: 'default-note', text: 'Showing the first project you can browse. Choose projects and a window in Settings.' })),
    h('div', { class: 'gadget-tools' },
      showPicker && h('label', { class: 'project-picker' },
        h('span', { class: 'visually-hidden', text: 'Project' }),
        h('select', { id: 'project-select', onchange: (e) => actions.selectProject(e.target.value) },
          state.configuration.projects.map((id) => {
            const known = state.projects.find((p) => p.id === id);
            return h('option', { value: id, selected: id === state.projectId, text: known ? `${known.name} (${known.key})` : id });
          }))),
      adapter.kind === 'local' && h('button', { type: 'button', class: 'button button-subtle', id: 'edit', onclick: actions.edit, text: 'Settings' })));
}

function tile(state, metric, index, actions) {
  const selected = metric.id === state.metric;
  const value = metric.value(state.report);
  const level = levelOf(state.report, metric.id);
  const onkeydown = (event) => {
    const keys = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let next = null;
    if (event.key in keys) {
      next = (index + keys[event.key] + metrics.length) % metrics.length;
    } else if (event.key === 'Home') {
      next = 0;
    } else if (event.key === 'End') {
      next = metrics.length - 1;
    }
    if (next !== null) {
      event.preventDefault();
      actions.selectMetric(metrics[next].id, true);
    }
  };
  return h('button', {
    type: 'button',
    role: 'tab',
    id: `tab-${metric.id}`,
    class: `tile${selected ? ' tile-selected' : ''}`,
    'data-metric': metric.id,
    'aria-selected': selected ? 'true' : 'false',
    'aria-controls': 'metric-panel',
    tabindex: selected ? '0' : '-1',
    onclick: () => actions.selectMetric(metric.id, false),
    onkeydown,
  },
  h('span', { class: 'tile-title', title: metric.title, text: metric.short }),
  h('span', { class: 'tile-value', 'data-value': value === null ? '' : String(value), text: metric.format(value) }),
  levelBadge(level, metric),
  deltaLine(state, metric, true));
}

function levelBadge(level, metric) {
  if (!metric.levels) {
    return h('span', { class: 'level level-none', 'data-level': '', text: 'No DORA level' });
  }
  if (!level) {
    return h('span', { class: 'level level-none', 'data-level': '', text: 'No level: no data' });
  }
  return h('span', { class: `level level-${level}`, 'data-level': level },
    h('span', { class: 'level-dot', 'aria-hidden': 'true' }),
    h('span', { text: levelWords[level] }));
}

function deltaLine(state, metric, compact) {
  const current = metric.value(state.report);
  if (!state.previous) {
    if (state.previousError) {
      return h('span', { class: 'delta delta-unknown', text: compact ? 'no comparison' : 'The previous window could not be loaded, so there is no comparison.' });
    }
    return h('span', { class: 'delta delta-unknown', text: compact ? '\u00a0' : 'Loading the previous window…' });
  }
  const before = metric.value(state.previous);
  const days = daysBetween(state.report.window.from, state.report.window.to);
  const against = `previous ${days} days`;
  if (current === null || before === null) {
    return h('span', { class: 'delta delta-unknown', 'data-delta': '', text: compact ? `no data to compare` : `No comparison: the current or the ${against} have no data.` });
  }
  const difference = current - before;
  if (Math.abs(difference) < 1e-9) {
    return h('span', { class: 'delta delta-same', 'data-delta': '0', text: compact ? 'no change' : `No change from the ${against}` });
  }
  const up = difference > 0;
  const improved = (metric.better === 'higher') === up;
  const arrow = up ? '▲' : '▼';
  const amount = metric.formatDelta(Math.abs(difference));
  const words = `${up ? 'Up' : 'Down'} ${amount} from the ${against}, ${improved ? 'better' : 'worse'}`;
  return h('span', { class: `delta ${improved ? 'delta-better' : 'delta-worse'}`, 'data-delta': String(difference) },
    h('span', { 'aria-hidden': 'true', text: `${arrow} ${amount}` }),
    !compact && h('span', { class: 'delta-words', 'aria-hidden': 'true', text: ` vs ${against}` }),
    h('span', { class: 'visually-hidden', text: words }));
}

function detailPanel(state, metric, actions, adapter) {
  const report = state.report;
  const value = metric.value(report);
  const level = levelOf(report, metric.id);
  return h('section', { class: 'panel', id: 'metric-panel', role: 'tabpanel', 'aria-labelledby': `tab-${metric.id}`, 'data-metric': metric.id },
    h('div', { class: 'panel-head' },
      h('div', {},
        h('h3', { class: 'panel-title', text: metric.title }),
        h('p', { class: 'panel-value' },
          h('span', { class: 'panel-number', text: metric.format(value) }),
          h('span', { class: 'panel-detail', text: metric.detail(report) }))),
      h('div', { class: 'panel-level' },
        levelBadge(level, metric),
        h('p', { class: 'level-meaning', text: levelMeaning(metric, level) }))),
    h('p', { class: 'panel-delta' }, deltaLine(state, metric, false)),
    chartFor(state, metric),
    qualitySection(report, metric),
    drilldownSection(state, metric, actions, adapter));
}

function levelMeaning(metric, level) {
  if (!metric.levels) {
    return 'DORA publishes no performance levels for rework rate.';
  }
  if (!level) {
    return 'No level: there is nothing to measure in this window.';
  }
  return `${levelWords[level]}: ${metric.levels[level]}.`;
}

function chartFor(state, metric) {
  const title = `${metric.seriesLabel[0].toUpperCase()}${metric.seriesLabel.slice(1)} per week`;
  let points = metric.series(state.report);
  if (points === null) {
    points = reworkSeries(state);
    if (points === null) {
      return h('p', { class: 'chart-empty', text: 'Loading the weekly chart…' });
    }
  }
  const width = Math.max(320, (document.getElementById('app')?.clientWidth ?? 600) - 68);
  return weeklyChart({
    id: `chart-${metric.id}`, title, points, formatValue: metric.formatAxis, width, axisUnit: metric.axisUnit, integer: metric.integer,
  });
}

// Builds the weekly rework rate from the drill-down's deployments, on the same weeks as the
// deployment frequency series. Returns null until the drill-down has loaded.
function reworkSeries(state) {
  const entry = state.drilldown.get('reworkRate');
  if (!entry || entry.status !== 'ready') {
    return entry?.status === 'error' ? [] : null;
  }
  const timeZone = state.report.window.timeZone;
  const weeks = new Map((state.report.deploymentFrequency?.series ?? []).map((w) => [w.weekStart, { deployments: 0, rework: 0 }]));
  for (const deployment of entry.data.deployments ?? []) {
    const week = weeks.get(weekStart(localDate(deployment.at, timeZone)));
    if (week) {
      week.deployments += 1;
      week.rework += deployment.rework ? 1 : 0;
    }
  }
  return [...weeks].map(([start, w]) => ({ weekStart: start, value: w.deployments > 0 ? w.rework / w.deployments : null }));
}

function qualitySection(report, metric) {
  const quality = report.dataQuality ?? {};
  const notes = metric.quality
    .filter((field) => (quality[field] ?? 0) > 0)
    .map((field) => h('li', { 'data-quality': field, text: qualityNotes[field](quality[field]) }));
  if (metric.id === 'failedDeploymentRecoveryTime' && (report.failedDeploymentRecoveryTime?.openIncidents ?? 0) > 0) {
    const open = report.failedDeploymentRecoveryTime;
    notes.push(h('li', { 'data-quality': 'openIncidents', text: `${open.openIncidents} incident${open.openIncidents === 1 ? ' is' : 's are'} still open at the end of the window${open.oldestOpenIncidentAgeHours != null ? `, the oldest for ${formatHours(open.oldestOpenIncidentAgeHours)}` : ''}; open incidents are not in the median.` }));
  }
  return h('section', { class: 'quality', 'aria-labelledby': 'quality-title' },
    h('h4', { id: 'quality-title', class: 'section-title', text: 'Data quality' }),
    notes.length > 0
      ? h('ul', { class: 'quality-notes' }, notes)
      : h('p', { class: 'muted', text: 'Nothing was left out or estimated for this metric.' }));
}

function drilldownSection(state, metric, actions, adapter) {
  const open = state.drilldownOpen;
  const entry = state.drilldown.get(metric.id);
  let body = null;
  if (open) {
    if (!entry || entry.status === 'loading') {
      body = h('p', { role: 'status', class: 'muted', text: 'Loading the versions and issues…' });
    } else if (entry.status === 'error') {
      body = h('div', { role: 'alert', class: 'notice notice-error' },
        h('p', { text: `The versions and issues could not be loaded: ${entry.error?.message ?? entry.error}` }),
        h('button', { type: 'button', class: 'button', id: 'retry-drilldown', onclick: actions.retryDrilldown, text: 'Try again' }));
    } else {
      body = evidenceTables(state, metric, entry.data, adapter);
    }
  }
  return h('section', { class: 'drilldown' },
    h('button', {
      type: 'button', class: 'button button-subtle disclosure', id: 'drilldown-toggle',
      'aria-expanded': open ? 'true' : 'false', 'aria-controls': 'drilldown-body', onclick: actions.toggleDrilldown,
    }, h('span', { class: 'disclosure-icon', 'aria-hidden': 'true', text: open ? '▾' : '▸' }), ' Versions and issues behind this number'),
    h('div', { id: 'drilldown-body', class: 'drilldown-body', hidden: !open }, body));
}

function evidenceTables(state, metric, evidence, adapter) {
  const timeZone = state.report.window.timeZone;
  const link = (key) => issueLink(state.siteUrl, key, adapter);
  const keyList = (keys) => {
    const list = sortIssueKeys(keys);
    const shown = list.slice(0, 8);
    const items = shown.flatMap((key, i) => (i === 0 ? [link(key)] : [', ', link(key)]));
    if (list.length > shown.length) {
      items.push(` and ${list.length - shown.length} more`);
    }
    return items.length > 0 ? items : [h('span', { class: 'muted', text: 'none' })];
  };
  const deployments = evidence.deployments ?? [];
  const tables = [];

  if (['deploymentFrequency', 'changeFailureRate', 'reworkRate'].includes(metric.id)) {
    const rows = metric.id === 'changeFailureRate' ? deployments.filter((d) => d.failed).concat(deployments.filter((d) => !d.failed)) : deployments;
    tables.push(table('Deployments', ['Deployment', 'Deployed', 'Outcome', metric.id === 'changeFailureRate' ? 'Incidents' : 'Changes'],
      rows.map((d) => [
        versionLink(state, d, adapter),
        formatDeployedAt(d.at, timeZone),
        outcome(d),
        keyList(metric.id === 'changeFailureRate' ? d.incidentKeys : d.changeKeys),
      ]), 'No deployments in this window.'));
  }
  if (metric.id === 'leadTimeForChanges') {
    tables.push(table('Changes', ['Issue', 'Started', 'Deployed', 'Lead time'],
      (evidence.changes ?? []).map((c) => [link(c.key), formatInstant(c.startedAt, timeZone), formatDeployedAt(c.deployedAt, timeZone), formatHours(c.hours)]),
      'No changes were deployed in this window.'));
  }
  if (metric.id === 'failedDeploymentRecoveryTime') {
    tables.push(table('Recovered incidents', ['Incident', 'Start', 'Done', 'Recovery time'],
      (evidence.recoveries ?? []).map((i) => [link(i.key), formatInstant(i.start, timeZone), formatInstant(i.doneAt, timeZone), formatHours(i.hours)]),
      'No incidents were done in this window.'));
    tables.push(table('Open incidents', ['Incident', 'Start', 'Age'],
      (evidence.openIncidents ?? []).map((i) => [link(i.key), formatInstant(i.start, timeZone), formatHours(i.hours)]),
      'No incidents are open.'));
  }
  const excluded = evidence.excluded ?? [];
  if (excluded.length > 0 && metric.id === 'leadTimeForChanges') {
    tables.push(table('Left out or estimated', ['Issue', 'Reason'],
      [...excluded].sort((a, b) => compareIssueKeys(a.key, b.key)).map((e) => [link(e.key), exclusionReasons[e.reason] ?? e.reason]), ''));
  }
  return h('div', { class: 'evidence' }, tables);
}

function outcome(deployment) {
  const badges = [];
  if (deployment.failed) {
    badges.push(h('span', { class: 'badge badge-failed', text: 'Failed' }));
  }
  if (deployment.rework) {
    badges.push(h('span', { class: 'badge badge-rework', text: 'Rework' }));
  }
  if (badges.length === 0) {
    badges.push(h('span', { class: 'badge badge-ok', text: 'OK' }));
  }
  return badges;
}

function table(title, columns, rows, emptyText) {
  const wrapper = h('div', { class: 'evidence-block' }, h('h4', { class: 'section-title', text: `${title} (${rows.length})` }));
  if (rows.length === 0) {
    wrapper.append(h('p', { class: 'muted', text: emptyText }));
    return wrapper;
  }
  wrapper.append(h('div', { class: 'table-scroll' }, h('table', { class: 'evidence-table' },
    h('caption', { class: 'visually-hidden', text: title }),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))))));
  return wrapper;
}

function issueLink(siteUrl, key, adapter) {
  if (!safeSiteUrl(siteUrl)) {
    return h('span', { class: 'issue-key', 'data-issue': key, text: key });
  }
  const url = `${siteUrl.replace(/\/$/, '')}/browse/${encodeURIComponent(key)}`;
  return externalLink(url, key, adapter, { class: 'issue-key', 'data-issue': key });
}

function versionLink(state, deployment, adapter) {
  const key = state.report.project?.key;
  // With the status deployment source a deployment is an issue, named by its key.
  if (key && deployment.name?.startsWith(`${key}-`) && /^\d+$/.test(deployment.name.slice(key.length + 1))) {
    return issueLink(state.siteUrl, deployment.name, adapter);
  }
  if (!safeSiteUrl(state.siteUrl) || !key || !/^\d+$/.test(deployment.id ?? '')) {
    return h('span', { class: 'version-name', text: deployment.name });
  }
  const url = `${state.siteUrl.replace(/\/$/, '')}/projects/${encodeURIComponent(key)}/versions/${deployment.id}`;
  return externalLink(url, deployment.name, adapter, { class: 'version-name' });
}

// Reports whether a site URL may start a link: only http and https, never javascript: or data:.
function safeSiteUrl(siteUrl) {
  return typeof siteUrl === 'string' && /^https?:\/\/[^\s]+$/i.test(siteUrl);
}

function externalLink(url, text, adapter, attributes) {
  return h('a', {
    ...attributes,
    href: url,
    target: '_blank',
    rel: 'noopener noreferrer',
    text,
    onclick: (event) => {
      if (adapter.kind === 'forge') {
        event.preventDefault();
        adapter.openUrl(url);
      }
    },
  });
}
