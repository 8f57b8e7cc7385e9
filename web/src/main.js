// Entry point of the gadget page. It picks the adapter for where the page runs, follows Jira's
// theme, and starts the view or the edit view.
import { createAdapter } from './adapter.js';
import { Api } from './api.js';
import { h } from './dom.js';
import { startEdit } from './edit.js';
import { startGadget } from './gadget.js';

async function main() {
  const root = document.getElementById('app');
  try {
    const adapter = await createAdapter();
    try {
      await adapter.enableTheme();
    } catch {
      // Without Jira's theme the page keeps its light colours; the metrics still work.
    }
    const context = await adapter.context();
    const api = new Api(adapter);
    document.documentElement.dataset.entryPoint = context.entryPoint;
    if (context.entryPoint === 'edit') {
      startEdit(root, api, adapter, context);
    } else {
      startGadget(root, api, adapter, context);
    }
  } catch (err) {
    root.setAttribute('aria-busy', 'false');
    root.replaceChildren(h('section', { class: 'state state-error', 'data-state': 'error', role: 'alert' },
      h('h2', { class: 'state-title', text: 'The gadget could not start' }),
      h('p', { class: 'state-detail', text: String(err?.message ?? err) }),
      h('p', { text: 'Reload the page. If this keeps happening, tell your Jira administrator.' })));
  }
}

main();
