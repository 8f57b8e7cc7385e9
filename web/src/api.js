// Calls to the backend's gadget routes. Every call goes through the adapter, so the same code
// runs inside Jira and on the local dev server.

/** ApiError is a failed call: an HTTP status with the server's error code and message. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, or 0 when no response arrived
   * @param {string} code the server's error code, such as "forbidden"
   * @param {string} message a sentence for the viewer
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }

  get forbidden() {
    return this.status === 403;
  }

  /** True when the data does not exist yet because the first sync or computation still runs. */
  get notComputed() {
    return this.code === 'not_computed';
  }
}

/** The five metrics, in the order the gadget shows them. */
export const metricIds = [
  'deploymentFrequency',
  'leadTimeForChanges',
  'changeFailureRate',
  'failedDeploymentRecoveryTime',
  'reworkRate',
];

/** The window presets in days. */
export const windowPresets = [7, 30, 90, 180, 365];

/** The interval, in milliseconds, between the page's requests while the first sync with Jira runs. */
export const syncPollMs = 4000;

/** The sentence the page shows while the installation's first sync with Jira runs. */
export const firstSyncText = 'The first sync with Jira is still running; this page refreshes when it finishes.';

/**
 * Builds the query parameters of a window: `window=DAYS` for a preset, else `from` and `to`
 * (`to` exclusive, both YYYY-MM-DD).
 * @param {{window?: string|number, from?: string, to?: string}} window
 */
export function windowParams(window) {
  if (window.from && window.to) {
    return { from: window.from, to: window.to };
  }
  return { window: String(window.window ?? 90) };
}

export class Api {
  /** @param {import('./adapter.js').Adapter} adapter */
  constructor(adapter) {
    this.adapter = adapter;
  }

  /** Returns the Report JSON of one project and window. */
  report(projectId, window) {
    return this.get('/forge/gadget/report', { project: projectId, ...windowParams(window) });
  }

  /** Returns the versions and issues behind one metric of a report. */
  drilldown(projectId, metric, window) {
    return this.get('/forge/gadget/drilldown', { project: projectId, metric, ...windowParams(window) });
  }

  /**
   * Returns the projects the viewer may browse, the Jira site URL when the server sends one,
   * and whether the installation's first sync with Jira is still running. The server may
   * return a bare array or an object with a `projects` array.
   */
  async projects() {
    const body = await this.get('/forge/gadget/projects', {});
    const list = Array.isArray(body) ? body : (body?.projects ?? []);
    return {
      projects: list.filter((p) => p && typeof p.id === 'string'),
      siteUrl: typeof body?.siteUrl === 'string' ? body.siteUrl : '',
      syncing: body?.syncing === true,
      lastSyncedAt: typeof body?.lastSyncedAt === 'string' ? body.lastSyncedAt : '',
    };
  }

  /**
   * Returns a project's statuses ({id, name, category}) and issue types ({id, name,
   * untranslatedName, subtask, hierarchyLevel}) for the edit view's pickers.
   */
  async metadata(projectId) {
    const body = await this.call('GET', `/forge/projects/${encodeURIComponent(projectId)}/metadata`);
    const statuses = Array.isArray(body?.statuses) ? body.statuses.filter((s) => s && typeof s.id === 'string') : [];
    const issueTypes = Array.isArray(body?.issueTypes) ? body.issueTypes.filter((t) => t && typeof t.id === 'string') : [];
    return { statuses, issueTypes };
  }

  /** Returns a project's metric settings (a dora.Config object). */
  settings(projectId) {
    return this.call('GET', `/forge/projects/${encodeURIComponent(projectId)}/settings`);
  }

  /** Replaces a project's metric settings and returns what the server stored. */
  saveSettings(projectId, config) {
    return this.call('PUT', `/forge/projects/${encodeURIComponent(projectId)}/settings`, config);
  }

  get(path, params) {
    const query = new URLSearchParams(params).toString();
    return this.call('GET', query ? `${path}?${query}` : path);
  }

  async call(method, path, body) {
    let response;
    try {
      response = await this.adapter.request(method, path, body);
    } catch (err) {
      throw new ApiError(0, 'unreachable', `The metrics service could not be reached (${err?.message ?? err}). Check your connection and try again.`);
    }
    if (response.status >= 200 && response.status < 300) {
      return response.body;
    }
    const error = response.body?.error ?? {};
    const message = typeof error.message === 'string' && error.message !== ''
      ? error.message
      : `The metrics service returned HTTP status ${response.status}. Try again, and if it keeps failing, tell your Jira administrator.`;
    throw new ApiError(response.status, typeof error.code === 'string' ? error.code : 'unknown', message);
  }
}
