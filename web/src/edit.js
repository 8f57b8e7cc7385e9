// The gadget's edit view: the gadget's own choices (projects, window, first metric), saved the
// Forge way or in localStorage by the adapter, and the project's metric settings, saved through
// the settings route for viewers who may administer the project.
import { ApiError, metricIds, windowPresets } from './api.js';
import { h } from './dom.js';
import { addDays, daysBetween, parseDate } from './format.js';
import { metrics } from './metrics.js';
import { normalizeConfiguration } from './gadget.js';

/** The maximum length of a custom window, in days, that the edit view accepts. */
export const maxWindowDays = 3 * 365;

/**
 * Runs the edit view in root.
 * @param {HTMLElement} root
 * @param {import('./api.js').Api} api
 * @param {import('./adapter.js').Adapter} adapter
 * @param {{configuration: any}} context
 */
export function startEdit(root, api, adapter, context) {
  const initial = normalizeConfiguration(context.configuration);
  const form = h('form', { class: 'edit', id: 'edit-form', novalidate: true, 'aria-labelledby': 'edit-title' });
  const summary = h('div', { class: 'error-summary', id: 'error-summary', tabindex: '-1', hidden: true });
  const projectList = h('div', { class: 'project-list', id: 'project-list' }, h('p', { class: 'muted', role: 'status', text: 'Loading your projects…' }));
  const windowSelect = h('select', { id: 'window', name: 'window' },
    windowPresets.map((days) => h('option', { value: String(days), text: `Last ${days} days` })),
    h('option', { value: 'custom', text: 'Custom dates' }));
  const firstDay = h('input', { type: 'date', id: 'first-day', name: 'firstDay', 'aria-describedby': 'first-day-error' });
  const lastDay = h('input', { type: 'date', id: 'last-day', name: 'lastDay', 'aria-describedby': 'last-day-error' });
  const customDates = h('div', { class: 'field-row', id: 'custom-dates' },
    field('first-day', 'First day', firstDay),
    field('last-day', 'Last day (included)', lastDay));
  const metricSelect = h('select', { id: 'metric', name: 'metric' }, metrics.map((m) => h('option', { value: m.id, text: m.title })));
  const settings = projectSettings(api);

  if (initial) {
    if (initial.window.from) {
      windowSelect.value = 'custom';
      firstDay.value = initial.window.from;
      lastDay.value = addDays(initial.window.to, -1);
    } else {
      windowSelect.value = String(initial.window.window);
    }
    metricSelect.value = metricIds.includes(initial.metric) ? initial.metric : metricIds[0];
  } else {
    windowSelect.value = '90';
  }
  const showCustom = () => {
    customDates.hidden = windowSelect.value !== 'custom';
  };
  windowSelect.addEventListener('change', showCustom);
  showCustom();

  const selectedProjects = () => [...projectList.querySelectorAll('input[type=checkbox]:checked')].map((input) => input.value);

  form.append(
    h('h2', { id: 'edit-title', class: 'edit-title', text: 'DORA metrics gadget settings' }),
    summary,
    h('fieldset', { class: 'group' },
      h('legend', { text: 'What this gadget shows' }),
      h('fieldset', { class: 'field', id: 'projects-field', 'aria-describedby': 'projects-error' },
        h('legend', { class: 'label', text: 'Projects' }),
        h('p', { class: 'hint', text: 'Only projects you can browse are listed. With several, the gadget shows one at a time with a picker.' }),
        projectList,
        h('p', { class: 'field-error', id: 'projects-error', hidden: true })),
      h('div', { class: 'field-row' },
        field('window', 'Time window', windowSelect),
        field('metric', 'Metric shown first', metricSelect)),
      customDates),
    settings.element,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button button-primary', id: 'save', text: 'Save' }),
      h('button', { type: 'button', class: 'button button-subtle', id: 'cancel', text: 'Cancel', onclick: () => adapter.closeEditView() })));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = [];
    const projects = selectedProjects();
    if (projects.length === 0) {
      errors.push({ id: 'projects', message: 'Choose at least one project.' });
    }
    const configuration = { projects, project: projects[0] ?? '', metric: metricSelect.value };
    if (windowSelect.value === 'custom') {
      const dateErrors = validateDates(firstDay.value, lastDay.value);
      errors.push(...dateErrors);
      configuration.from = firstDay.value;
      configuration.to = addDays(lastDay.value, 1);
    } else {
      configuration.window = Number(windowSelect.value);
    }
    showErrors(form, summary, errors);
    if (errors.length > 0) {
      return;
    }
    try {
      await adapter.saveConfiguration(configuration);
    } catch (err) {
      showErrors(form, summary, [{ id: 'save', message: `The gadget settings could not be saved: ${err?.message ?? err}. Try again.` }]);
    }
  });

  root.replaceChildren(form);
  root.setAttribute('aria-busy', 'false');

  api.projects().then(({ projects }) => {
    const chosen = new Set(initial?.projects ?? []);
    if (projects.length === 0) {
      projectList.replaceChildren(h('p', { class: 'notice notice-error', text: 'You cannot browse any project on this site, so there is nothing to show. Ask a Jira administrator for the Browse Projects permission.' }));
      return;
    }
    projectList.replaceChildren(...projects.map((project) => {
      const input = h('input', { type: 'checkbox', name: 'project', value: project.id, id: `project-${project.id}`, checked: chosen.has(project.id) });
      input.addEventListener('change', () => settings.setProjects(projects.filter((p) => selectedProjects().includes(p.id))));
      return h('label', { class: 'check' }, input, h('span', { text: project.name }), h('span', { class: 'project-key', text: project.key }));
    }));
    settings.setProjects(projects.filter((p) => chosen.has(p.id)));
  }, (err) => {
    projectList.replaceChildren(h('p', { class: 'notice notice-error', role: 'alert', text: `Your projects could not be loaded: ${err.message}` }));
  });
}

/**
 * Checks a custom window's first and last day (both included) and returns the errors found.
 * @param {string} first YYYY-MM-DD
 * @param {string} last YYYY-MM-DD
 * @returns {Array<{id: string, message: string}>}
 */
export function validateDates(first, last) {
  const errors = [];
  if (!parseDate(first)) {
    errors.push({ id: 'first-day', message: first ? `First day "${first}" is not a date: use the form 2020-06-01.` : 'Enter the first day of the window, such as 2020-06-01.' });
  }
  if (!parseDate(last)) {
    errors.push({ id: 'last-day', message: last ? `Last day "${last}" is not a date: use the form 2020-07-31.` : 'Enter the last day of the window, such as 2020-07-31.' });
  }
  if (errors.length === 0) {
    const days = daysBetween(first, last) + 1;
    if (days < 1) {
      errors.push({ id: 'last-day', message: `The last day (${last}) is before the first day (${first}): swap them or pick a later last day.` });
    } else if (days > maxWindowDays) {
      errors.push({ id: 'last-day', message: `The window has ${days} days; pick at most ${maxWindowDays} days.` });
    }
  }
  return errors;
}

function field(id, label, control, hint) {
  return h('div', { class: 'field' },
    h('label', { class: 'label', for: id, text: label }),
    hint && h('p', { class: 'hint', id: `${id}-hint`, text: hint }),
    control,
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }));
}

// Shows each error beside its field and in a summary at the top, and moves focus to the summary.
function showErrors(scope, summary, errors) {
  for (const element of scope.querySelectorAll('.field-error')) {
    element.hidden = true;
    element.textContent = '';
  }
  for (const element of scope.querySelectorAll('[aria-invalid]')) {
    element.removeAttribute('aria-invalid');
  }
  if (errors.length === 0) {
    summary.hidden = true;
    summary.replaceChildren();
    return;
  }
  for (const error of errors) {
    const message = scope.querySelector(`#${error.id}-error`);
    if (message) {
      message.textContent = error.message;
      message.hidden = false;
    }
    scope.querySelector(`#${error.id}`)?.setAttribute('aria-invalid', 'true');
  }
  summary.replaceChildren(
    h('h3', { class: 'error-summary-title', text: errors.length === 1 ? 'Fix this to save:' : `Fix these ${errors.length} things to save:` }),
    h('ul', {}, errors.map((error) => h('li', {}, h('a', { href: `#${error.id}`, text: error.message, onclick: (event) => {
      event.preventDefault();
      scope.querySelector(`#${error.id}`)?.focus() ?? scope.querySelector(`#${error.id}-field input`)?.focus();
    } })))));
  summary.hidden = false;
  summary.setAttribute('role', 'alert');
  summary.focus();
}

// The project settings part of the form. It loads the settings of one selected project, and
// saves them with its own button because they belong to the project, not to this gadget.
function projectSettings(api) {
  const status = h('p', { class: 'settings-status', id: 'settings-status', role: 'status' });
  const projectSelect = h('select', { id: 'settings-project' });
  const sourceVersions = h('input', { type: 'radio', name: 'deploymentSource', id: 'source-versions', value: 'versions' });
  const sourceStatus = h('input', { type: 'radio', name: 'deploymentSource', id: 'source-status', value: 'status' });
  const deployedStatuses = h('input', { type: 'text', id: 'deployed-statuses', autocomplete: 'off', 'aria-describedby': 'deployed-statuses-hint deployed-statuses-error' });
  const incidentTypes = h('input', { type: 'text', id: 'incident-types', autocomplete: 'off', placeholder: 'Bug, Incident', 'aria-describedby': 'incident-types-hint incident-types-error' });
  const startProgress = h('input', { type: 'radio', name: 'leadTimeStart', id: 'start-first-in-progress', value: 'firstInProgress' });
  const startCreated = h('input', { type: 'radio', name: 'leadTimeStart', id: 'start-created', value: 'created' });
  const reworkPattern = h('input', { type: 'text', id: 'rework-pattern', autocomplete: 'off', placeholder: '(?i)hotfix', 'aria-describedby': 'rework-pattern-hint rework-pattern-error' });
  const saveButton = h('button', { type: 'button', class: 'button', id: 'save-settings', text: 'Save project settings' });
  const statusesField = field('deployed-statuses', 'Deployed statuses', deployedStatuses,
    'Status ids, separated by commas. An issue\'s first move into one of them is a deployment.');
  const controls = h('div', { class: 'settings-controls', id: 'settings-controls' },
    h('fieldset', { class: 'field' },
      h('legend', { class: 'label', text: 'Deployments are' }),
      h('label', { class: 'check' }, sourceVersions, h('span', { text: 'Released versions with a release date' })),
      h('label', { class: 'check' }, sourceStatus, h('span', { text: 'Issues reaching a status' }))),
    statusesField,
    field('incident-types', 'Incident issue types', incidentTypes, 'Issue type names or ids, separated by commas. Empty means Bug and Incident.'),
    h('fieldset', { class: 'field' },
      h('legend', { class: 'label', text: 'Lead time starts when an issue' }),
      h('label', { class: 'check' }, startProgress, h('span', { text: 'first moves to an in-progress status' })),
      h('label', { class: 'check' }, startCreated, h('span', { text: 'is created' }))),
    field('rework-pattern', 'Rework version pattern', reworkPattern, 'A regular expression on version names that marks hotfix releases. Empty means none.'),
    h('p', { class: 'field-error', id: 'settings-error', hidden: true }),
    h('div', { class: 'actions' }, saveButton, status));
  const element = h('fieldset', { class: 'group', id: 'settings-group', hidden: true },
    h('legend', { text: 'Project metric settings' }),
    h('p', { class: 'hint', text: 'These apply to every gadget and report on the project. Changing them needs the Administer Projects permission.' }),
    field('settings-project', 'Project', projectSelect),
    controls);

  let loaded = null; // the settings as the server returned them, so unknown fields survive a save
  let projectId = '';

  const syncSource = () => {
    statusesField.hidden = !sourceStatus.checked;
  };
  sourceVersions.addEventListener('change', syncSource);
  sourceStatus.addEventListener('change', syncSource);

  const load = async () => {
    projectId = projectSelect.value;
    loaded = null;
    controls.hidden = true;
    status.textContent = 'Loading the project settings…';
    try {
      loaded = (await api.settings(projectId)) ?? {};
    } catch (err) {
      status.textContent = '';
      controls.hidden = true;
      element.querySelector('#settings-load-error')?.remove();
      element.append(h('p', { class: 'notice notice-error', id: 'settings-load-error', role: 'alert', text: err instanceof ApiError && err.forbidden
        ? 'You cannot see this project\'s metric settings: that needs the Administer Projects permission.'
        : `The project settings could not be loaded: ${err.message}` }));
      return;
    }
    element.querySelector('#settings-load-error')?.remove();
    const source = loaded.deploymentSource === 'status' ? 'status' : 'versions';
    sourceVersions.checked = source === 'versions';
    sourceStatus.checked = source === 'status';
    deployedStatuses.value = (loaded.deployedStatuses ?? []).join(', ');
    incidentTypes.value = (loaded.incidentTypes ?? []).join(', ');
    startCreated.checked = loaded.leadTimeStart === 'created';
    startProgress.checked = !startCreated.checked;
    reworkPattern.value = loaded.reworkVersionPattern ?? '';
    syncSource();
    controls.hidden = false;
    status.textContent = '';
  };
  projectSelect.addEventListener('change', load);

  saveButton.addEventListener('click', async () => {
    const errors = [];
    const config = { ...loaded };
    config.deploymentSource = sourceStatus.checked ? 'status' : 'versions';
    config.deployedStatuses = splitList(deployedStatuses.value);
    if (config.deploymentSource === 'status') {
      if (config.deployedStatuses.length === 0) {
        errors.push({ id: 'deployed-statuses', message: 'Enter at least one status id, such as 10001, or count released versions as deployments.' });
      }
      const bad = config.deployedStatuses.filter((id) => !/^\d+$/.test(id));
      if (bad.length > 0) {
        errors.push({ id: 'deployed-statuses', message: `"${bad[0]}" is not a status id: status ids are numbers, such as 10001.` });
      }
    } else {
      delete config.deployedStatuses;
    }
    config.incidentTypes = splitList(incidentTypes.value);
    if (config.incidentTypes.length === 0) {
      delete config.incidentTypes;
    }
    config.leadTimeStart = startCreated.checked ? 'created' : 'firstInProgress';
    const pattern = reworkPattern.value.trim();
    if (pattern === '') {
      delete config.reworkVersionPattern;
    } else {
      const problem = regexProblem(pattern);
      if (problem) {
        errors.push({ id: 'rework-pattern', message: `The rework version pattern "${pattern}" is not a valid regular expression (${problem}). Fix it or leave the field empty.` });
      }
      config.reworkVersionPattern = pattern;
    }
    showErrors(element, h('div'), errors);
    if (errors.length > 0) {
      element.querySelector(`#${errors[0].id}`)?.focus();
      return;
    }
    status.textContent = 'Saving…';
    saveButton.disabled = true;
    try {
      loaded = (await api.saveSettings(projectId, config)) ?? config;
      status.textContent = 'Project settings saved. The metrics are recomputed with them.';
    } catch (err) {
      status.textContent = '';
      const message = err instanceof ApiError && err.forbidden
        ? 'You cannot change this project\'s metric settings: that needs the Administer Projects permission on the project.'
        : `The project settings were not saved: ${err.message}`;
      const target = element.querySelector('#settings-error');
      target.textContent = message;
      target.hidden = false;
      target.setAttribute('role', 'alert');
    } finally {
      saveButton.disabled = false;
    }
  });

  return {
    element,
    setProjects(projects) {
      element.hidden = projects.length === 0;
      if (projects.length === 0) {
        return;
      }
      const current = projectSelect.value;
      projectSelect.replaceChildren(...projects.map((p) => h('option', { value: p.id, text: `${p.name} (${p.key})` })));
      if (projects.some((p) => p.id === current)) {
        projectSelect.value = current;
      }
      if (projectSelect.value !== projectId) {
        load();
      }
    },
  };
}

function splitList(text) {
  return text.split(',').map((part) => part.trim()).filter((part) => part !== '');
}

// Returns why a pattern does not compile, or '' when it does. The browser's regular expressions
// are not Go's RE2: the server checks again on save, and its message is shown when it rejects one.
function regexProblem(pattern) {
  const withoutFlags = pattern.replace(/^\(\?[imsU]+\)/, '');
  try {
    new RegExp(withoutFlags);
    return '';
  } catch (err) {
    return err.message.replace(/^Invalid regular expression: (\/.*\/[a-z]*: )?/, '');
  }
}
