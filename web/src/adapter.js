// The adapter is the only module that depends on where the gadget runs. Inside Jira it calls the
// remote backend through Forge's invokeRemote and stores gadget choices with view.submit.
// Outside Jira (the local dev server) it calls the same paths with fetch and keeps gadget
// choices in localStorage. Everything else in the UI calls the adapter and never checks which.

const localConfigKey = 'devops-metrics.gadget-configuration';

/**
 * Reports whether the page runs inside a Forge Custom UI iframe, where Jira injects the bridge.
 * @returns {boolean}
 */
export function insideForge() {
  return typeof globalThis.__bridge?.callBridge === 'function';
}

/**
 * Creates the adapter for the place the page runs in.
 * @returns {Promise<Adapter>}
 */
export async function createAdapter() {
  if (insideForge()) {
    const forge = await import('./forge.js');
    return new ForgeAdapter(forge);
  }
  return new LocalAdapter();
}

/**
 * @typedef {object} Response
 * @property {number} status HTTP status code
 * @property {any} body the decoded JSON body, or null when the body is empty or not JSON
 */

/**
 * @typedef {object} Adapter
 * @property {'forge'|'local'} kind
 * @property {(method: string, path: string, body?: any) => Promise<Response>} request
 * @property {() => Promise<{entryPoint: string, configuration: any, siteUrl: string}>} context
 * @property {(configuration: any) => Promise<void>} saveConfiguration
 * @property {() => Promise<void>} enableTheme
 * @property {(url: string) => Promise<void>} openUrl
 * @property {() => void} openEditView
 * @property {() => void} closeEditView
 */

class ForgeAdapter {
  constructor(forge) {
    this.kind = 'forge';
    this.forge = forge;
  }

  async request(method, path, body) {
    const input = { path, method, headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      input.headers['Content-Type'] = 'application/json';
      input.body = body;
    }
    const response = await this.forge.invokeRemote(input);
    return { status: response?.status ?? 0, body: response?.body ?? null };
  }

  async context() {
    const context = await this.forge.view.getContext();
    const extension = context?.extension ?? {};
    return {
      entryPoint: extension.entryPoint === 'edit' ? 'edit' : 'view',
      configuration: extension.gadgetConfiguration ?? null,
      siteUrl: context?.siteUrl ?? '',
    };
  }

  async saveConfiguration(configuration) {
    await this.forge.view.submit(configuration);
  }

  async enableTheme() {
    await this.forge.view.theme.enable();
  }

  async openUrl(url) {
    await this.forge.router.open(url);
  }

  // Jira's dashboard frame has its own edit button, so the gadget offers none.
  openEditView() {}

  closeEditView() {
    this.forge.view.close();
  }
}

class LocalAdapter {
  constructor() {
    this.kind = 'local';
  }

  async request(method, path, body) {
    const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let decoded = null;
    if (text !== '') {
      try {
        decoded = JSON.parse(text);
      } catch {
        decoded = null;
      }
    }
    return { status: response.status, body: decoded };
  }

  async context() {
    const params = new URLSearchParams(location.search);
    let configuration = null;
    const stored = localStorage.getItem(localConfigKey);
    if (stored) {
      try {
        configuration = JSON.parse(stored);
      } catch {
        localStorage.removeItem(localConfigKey);
      }
    }
    return {
      entryPoint: params.get('view') === 'edit' ? 'edit' : 'view',
      configuration,
      siteUrl: '',
    };
  }

  async saveConfiguration(configuration) {
    localStorage.setItem(localConfigKey, JSON.stringify(configuration));
    this.closeEditView();
  }

  // Locally the page follows the browser's colour scheme through CSS alone.
  async enableTheme() {}

  async openUrl(url) {
    window.open(url, '_blank', 'noopener');
  }

  openEditView() {
    const url = new URL(location.href);
    url.searchParams.set('view', 'edit');
    location.assign(url.toString());
  }

  closeEditView() {
    const url = new URL(location.href);
    url.searchParams.delete('view');
    location.assign(url.toString());
  }
}
