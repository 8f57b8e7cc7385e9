// The gadget's edit view: the gadget's own choices (projects, window, first metric), saved the
// Forge way or in localStorage by the adapter, and the project's metric settings, saved through
// the settings route for viewers who may administer the project.
import { ApiError, firstSyncText, metricIds, syncPollMs, windowPresets } from './api.js';
import { h } from './dom.js';
import { addDays, daysBetween, parseDate } from './format.js';
import { metrics } from './metrics.js';
import { normalizeConfiguration } from './gadget.js';

/** The maximum length of a custom window, in days: the longest window the server computes. */
export const maxWindowDays = 3660;

/** Time zones offered as suggestions; any IANA name can be typed. */
export const suggestedTimeZones = [
  'UTC', 'Europe/London', 'Europe/Berlin', 'Europe/Paris', 'America/New_York', 'America/Chicago', 'America/Denver',
  'America/Los_Angeles', 'America/Sao_Paulo', 'Asia/Kolkata', 'Asia/Shanghai', 'Asia/Singapore', 'Asia/Tokyo',
  'Australia/Sydney', 'Pacific/Auckland',
];

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

  const loadProjects = () => api.projects().then(({ projects, syncing }) => {
    const chosen = new Set(initial?.projects ?? []);
    if (projects.length === 0 && syncing) {
      projectList.replaceChildren(h('p', { class: 'notice notice-info', id: 'projects-syncing', role: 'status' },
        h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { text: firstSyncText })));
      setTimeout(loadProjects, syncPollMs);
      return;
    }
    if (projects.length === 0) {
      projectList.replaceChildren(h('p', { class: 'notice notice-error', text: 'You cannot browse any project on this site, so there is nothing to show. Ask a Jira administrator for the Browse Projects permission.' }));
      return;
    }
    projectList.replaceChildren(...projects.map((project) => {
      const input = h('input', { type: 'checkbox', name: 'project', value: project.id, id: `project-${project.id}`, checked: chosen.has(project.id) });
      input.addEventListener('change', () => settings.setProjects(projects.filter((p) => selectedProjects().includes(p.id))));
      return h('label', { class: 'check' }, input, h('span', { text: project.name }), h('span', { class: 'project-key', text: project.key }));
    }));
    if (syncing) {
      projectList.append(h('p', { class: 'hint', id: 'projects-syncing', text: `More projects may appear: ${firstSyncText[0].toLowerCase()}${firstSyncText.slice(1)}` }));
    }
    settings.setProjects(projects.filter((p) => chosen.has(p.id)));
  }, (err) => {
    projectList.replaceChildren(h('p', { class: 'notice notice-error', role: 'alert', text: `Your projects could not be loaded: ${err.message}` }));
  });
  loadProjects();
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
      errors.push({ id: 'last-day', message: `The window has ${days} days, more than the ${maxWindowDays} days the server computes: pick a later first day or an earlier last day.` });
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
  const statuses = choiceList('deployed-statuses', 'Status ids, separated by commas, such as 10001.');
  const incidentTypes = choiceList('incident-types', 'Issue type names or ids, separated by commas. Empty means Bug and Incident.', 'Bug, Incident');
  const incidentJql = h('textarea', { id: 'incident-jql', rows: '2', autocomplete: 'off', spellcheck: 'false', placeholder: 'labels = production', 'aria-describedby': 'incident-jql-hint incident-jql-error' });
  const startProgress = h('input', { type: 'radio', name: 'leadTimeStart', id: 'start-first-in-progress', value: 'firstInProgress' });
  const startCreated = h('input', { type: 'radio', name: 'leadTimeStart', id: 'start-created', value: 'created' });
  const recoveryCreated = h('input', { type: 'radio', name: 'recoveryStart', id: 'recovery-created', value: 'created' });
  const recoveryDeployment = h('input', { type: 'radio', name: 'recoveryStart', id: 'recovery-deployment', value: 'deployment' });
  const includeSubtasks = h('input', { type: 'checkbox', id: 'include-subtasks' });
  const includeEpics = h('input', { type: 'checkbox', id: 'include-epics' });
  const reworkPattern = h('input', { type: 'text', id: 'rework-pattern', autocomplete: 'off', spellcheck: 'false', placeholder: '(?i)hotfix', 'aria-describedby': 'rework-pattern-hint rework-pattern-error' });
  const timeZone = h('input', { type: 'text', id: 'time-zone', list: 'time-zone-list', autocomplete: 'off', spellcheck: 'false', placeholder: 'The Jira site\'s time zone', 'aria-describedby': 'time-zone-hint time-zone-error' });
  const timeZoneList = h('datalist', { id: 'time-zone-list' }, suggestedTimeZones.map((zone) => h('option', { value: zone })));
  const saveButton = h('button', { type: 'button', class: 'button', id: 'save-settings', text: 'Save project settings' });
  const statusesField = h('fieldset', { class: 'field', id: 'deployed-statuses-field', 'aria-describedby': 'deployed-statuses-hint deployed-statuses-error' },
    h('legend', { class: 'label', text: 'Deployed statuses' }),
    h('p', { class: 'hint', id: 'deployed-statuses-hint', text: 'An issue\'s first move into one of these statuses counts as a deployment.' }),
    statuses.element,
    h('p', { class: 'field-error', id: 'deployed-statuses-error', hidden: true }));
  const controls = h('div', { class: 'settings-controls', id: 'settings-controls' },
    h('fieldset', { class: 'field' },
      h('legend', { class: 'label', text: 'Deployments are' }),
      h('label', { class: 'check' }, sourceVersions, h('span', { text: 'Released versions with a release date' })),
      h('label', { class: 'check' }, sourceStatus, h('span', { text: 'Issues reaching a status' }))),
    statusesField,
    h('fieldset', { class: 'field', id: 'incident-types-field', 'aria-describedby': 'incident-types-hint incident-types-error' },
      h('legend', { class: 'label', text: 'Incident issue types' }),
      h('p', { class: 'hint', id: 'incident-types-hint', text: 'Issues of these types are incidents: they mark a deployment as failed and their recovery time is measured.' }),
      incidentTypes.element,
      h('p', { class: 'field-error', id: 'incident-types-error', hidden: true })),
    field('incident-jql', 'Incident filter (JQL, optional)', incidentJql, 'An incident must also match this JQL, such as labels = production. Empty means every issue of the incident types.'),
    h('fieldset', { class: 'field' },
      h('legend', { class: 'label', text: 'Lead time starts when an issue' }),
      h('label', { class: 'check' }, startProgress, h('span', { text: 'first moves to an in-progress status' })),
      h('label', { class: 'check' }, startCreated, h('span', { text: 'is created' }))),
    h('fieldset', { class: 'field' },
      h('legend', { class: 'label', text: 'Recovery time starts when' }),
      h('label', { class: 'check' }, recoveryCreated, h('span', { text: 'the incident is created' })),
      h('label', { class: 'check' }, recoveryDeployment, h('span', { text: 'the failed deployment happens' }))),
    h('fieldset', { class: 'field' },
      h('legend', { class: 'label', text: 'Changes also include' }),
      h('label', { class: 'check' }, includeSubtasks, h('span', { text: 'Sub-tasks' })),
      h('label', { class: 'check' }, includeEpics, h('span', { text: 'Epics and higher levels' }))),
    field('rework-pattern', 'Rework version pattern', reworkPattern, 'A Go (RE2) regular expression on version names that marks hotfix releases. Empty means none.'),
    field('time-zone', 'Time zone', h('div', {}, timeZone, timeZoneList), 'An IANA name such as Europe/Berlin, for calendar days and weeks. Empty means the Jira site\'s time zone.'),
    h('p', { class: 'field-error', id: 'settings-error', hidden: true }),
    h('div', { class: 'actions' }, saveButton, status));
  const element = h('fieldset', { class: 'group', id: 'settings-group', hidden: true },
    h('legend', { text: 'Project metric settings' }),
    h('p', { class: 'hint', text: 'These apply to every gadget and report on the project. Changing them needs the Administer Projects permission.' }),
    field('settings-project', 'Project', projectSelect),
    controls);

  let loaded = null; // the settings as the server returned them, so unknown fields survive a save
  let projectId = '';
  let defaultIncidentIds = null; // the issue type ids checked because no incident types are saved

  const syncSource = () => {
    statusesField.hidden = !sourceStatus.checked;
  };
  sourceVersions.addEventListener('change', syncSource);
  sourceStatus.addEventListener('change', syncSource);

  const load = async () => {
    projectId = projectSelect.value;
    const requested = projectId;
    loaded = null;
    controls.hidden = true;
    status.textContent = 'Loading the project settings…';
    let metadata = null;
    try {
      const [settings, md] = await Promise.all([
        api.settings(requested),
        // Without the lists the fields fall back to typed ids and names.
        api.metadata(requested).catch(() => null),
      ]);
      loaded = settings ?? {};
      metadata = md;
    } catch (err) {
      if (requested !== projectId) {
        return;
      }
      status.textContent = '';
      controls.hidden = true;
      element.querySelector('#settings-load-error')?.remove();
      element.append(h('p', { class: 'notice notice-error', id: 'settings-load-error', role: 'alert', text: err instanceof ApiError && err.forbidden
        ? 'You cannot see this project\'s metric settings: that needs the Administer Projects permission.'
        : `The project settings could not be loaded: ${err.message}` }));
      return;
    }
    if (requested !== projectId) {
      return;
    }
    element.querySelector('#settings-load-error')?.remove();
    const source = loaded.deploymentSource === 'status' ? 'status' : 'versions';
    sourceVersions.checked = source === 'versions';
    sourceStatus.checked = source === 'status';

    const statusChoices = (metadata?.statuses ?? []).slice().sort(byCategoryThenName).map((s) => ({
      value: s.id, label: s.name || `Status ${s.id}`, detail: `${categoryWords[s.category] ?? 'No category'} · id ${s.id}`, category: s.category,
    }));
    statuses.show(statusChoices, loaded.deployedStatuses ?? []);

    const types = (metadata?.issueTypes ?? []).slice().sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id));
    const typeChoices = types.map((t) => ({
      value: t.id, label: t.name || t.untranslatedName || `Issue type ${t.id}`, detail: typeDetail(t), category: '',
    }));
    let savedTypes = loaded.incidentTypes ?? [];
    defaultIncidentIds = null;
    if (savedTypes.length === 0 && types.length > 0) {
      defaultIncidentIds = types.filter((t) => ['bug', 'incident'].includes(String(t.untranslatedName || t.name).toLowerCase())).map((t) => t.id);
      savedTypes = defaultIncidentIds;
    }
    incidentTypes.show(typeChoices, matchTypes(savedTypes, types));

    incidentJql.value = loaded.incidentJql ?? '';
    startCreated.checked = loaded.leadTimeStart === 'created';
    startProgress.checked = !startCreated.checked;
    recoveryDeployment.checked = loaded.recoveryStart === 'deployment';
    recoveryCreated.checked = !recoveryDeployment.checked;
    includeSubtasks.checked = loaded.includeSubtasks === true;
    includeEpics.checked = loaded.includeEpics === true;
    reworkPattern.value = loaded.reworkVersionPattern ?? '';
    timeZone.value = loaded.timeZone ?? '';
    syncSource();
    controls.hidden = false;
    status.textContent = '';
  };
  projectSelect.addEventListener('change', load);

  saveButton.addEventListener('click', async () => {
    const errors = [];
    const config = { ...loaded };
    config.deploymentSource = sourceStatus.checked ? 'status' : 'versions';
    config.deployedStatuses = statuses.values();
    if (config.deploymentSource === 'status') {
      if (config.deployedStatuses.length === 0) {
        errors.push({ id: 'deployed-statuses', message: statuses.picking()
          ? 'Choose at least one deployed status, or count released versions as deployments.'
          : 'Enter at least one status id, such as 10001, or count released versions as deployments.' });
      }
      const bad = config.deployedStatuses.filter((id) => !/^\d+$/.test(id));
      if (bad.length > 0) {
        errors.push({ id: 'deployed-statuses', message: `"${bad[0]}" is not a status id: status ids are numbers, such as 10001.` });
      }
    } else {
      delete config.deployedStatuses;
    }
    config.incidentTypes = incidentTypes.values();
    if (config.incidentTypes.length === 0 || (defaultIncidentIds && sameSet(config.incidentTypes, defaultIncidentIds))) {
      // Nothing saved means Bug and Incident, which keeps following renamed or new types.
      delete config.incidentTypes;
    }
    const jql = incidentJql.value.trim();
    if (jql === '') {
      delete config.incidentJql;
    } else {
      config.incidentJql = jql;
    }
    config.leadTimeStart = startCreated.checked ? 'created' : 'firstInProgress';
    config.recoveryStart = recoveryDeployment.checked ? 'deployment' : 'created';
    setFlag(config, 'includeSubtasks', includeSubtasks.checked);
    setFlag(config, 'includeEpics', includeEpics.checked);
    // The pattern is Go (RE2) syntax, which the browser cannot check: the server does, and its
    // message is shown when it rejects one.
    const pattern = reworkPattern.value.trim();
    if (pattern === '') {
      delete config.reworkVersionPattern;
    } else {
      config.reworkVersionPattern = pattern;
    }
    const zone = timeZone.value.trim();
    if (zone === '') {
      delete config.timeZone;
    } else {
      const problem = timeZoneProblem(zone);
      if (problem) {
        errors.push({ id: 'time-zone', message: problem });
      }
      config.timeZone = zone;
    }
    showErrors(element, h('div'), errors);
    if (errors.length > 0) {
      const first = element.querySelector(`#${errors[0].id}`);
      (first?.matches('input, select, textarea') ? first : first?.querySelector('input'))?.focus();
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

const categoryWords = { new: 'To do', indeterminate: 'In progress', done: 'Done' };
const categoryOrder = { done: 0, indeterminate: 1, new: 2 };

// Orders statuses with the done ones first, where deployed statuses usually are.
function byCategoryThenName(a, b) {
  const order = (categoryOrder[a.category] ?? 3) - (categoryOrder[b.category] ?? 3);
  return order !== 0 ? order : (a.name || a.id).localeCompare(b.name || b.id);
}

function typeDetail(t) {
  const parts = [];
  if (t.untranslatedName && t.untranslatedName !== t.name) {
    parts.push(t.untranslatedName);
  }
  if (t.subtask || t.hierarchyLevel < 0) {
    parts.push('sub-task');
  } else if (t.hierarchyLevel > 0) {
    parts.push('epic level');
  }
  parts.push(`id ${t.id}`);
  return parts.join(' · ');
}

// Maps saved incident types (ids or names, any case) to issue type ids where one matches, and
// keeps the others as they are, so a save does not drop them.
function matchTypes(saved, types) {
  return saved.map((entry) => {
    const lower = String(entry).toLowerCase();
    const found = types.find((t) => t.id === entry || String(t.untranslatedName).toLowerCase() === lower || String(t.name).toLowerCase() === lower);
    return found ? found.id : entry;
  });
}

function sameSet(a, b) {
  return a.length === b.length && a.every((value) => b.includes(value));
}

function setFlag(config, name, on) {
  if (on) {
    config[name] = true;
  } else {
    delete config[name];
  }
}

/**
 * Returns why a time zone name is not an IANA name the browser recognizes, or '' when it is. The
 * server checks the name again, and its message is shown when it rejects one. Go reads names
 * case-sensitively, so a name in another case gets its correct spelling.
 * @param {string} zone
 * @returns {string}
 */
export function timeZoneProblem(zone) {
  let resolved;
  try {
    resolved = new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return `"${zone}" is not a time zone: use an IANA name such as Europe/Berlin or UTC, or leave the field empty for the Jira site's time zone.`;
  }
  if (resolved !== zone && resolved.toLowerCase() === zone.toLowerCase()) {
    return `Time zone "${zone}" is spelled ${resolved}: use that spelling.`;
  }
  return '';
}

// choiceList is a list of checkboxes for the choices of a project, or a text field of
// comma-separated values when there are none (metadata missing). A saved value that is not
// among the choices stays as a checked extra box, so a save keeps it.
function choiceList(id, fallbackHint, placeholder) {
  const element = h('div', { class: 'choice-list', id });
  let picking = false;
  let text = null;
  return {
    element,
    picking: () => picking,
    show(choices, selected) {
      picking = choices.length > 0;
      if (!picking) {
        text = h('input', { type: 'text', id: `${id}-text`, class: 'choice-text', autocomplete: 'off', placeholder: placeholder ?? '', 'aria-label': fallbackHint });
        text.value = selected.join(', ');
        element.replaceChildren(text, h('p', { class: 'hint', text: fallbackHint }));
        return;
      }
      text = null;
      const known = new Set(choices.map((c) => c.value));
      const extra = selected.filter((value) => !known.has(value)).map((value) => ({
        value, label: value, detail: 'saved, but not found in this project', category: '',
      }));
      element.replaceChildren(...[...choices, ...extra].map((choice) => {
        const boxId = `${id}-${String(choice.value).replace(/[^A-Za-z0-9_-]/g, '_')}`;
        const input = h('input', { type: 'checkbox', id: boxId, value: choice.value, checked: selected.includes(choice.value), 'data-category': choice.category || undefined });
        return h('label', { class: 'check choice', for: boxId }, input,
          h('span', { class: 'choice-label', text: choice.label }),
          h('span', { class: 'choice-detail', text: choice.detail }));
      }));
    },
    values() {
      if (text) {
        return splitList(text.value);
      }
      return [...element.querySelectorAll('input[type=checkbox]:checked')].map((input) => input.value);
    },
  };
}

function splitList(text) {
  return text.split(',').map((part) => part.trim()).filter((part) => part !== '');
}
