// Formatting of the numbers the gadget shows. The browser tests format the Report JSON with the
// same rules, so a change here needs the same change in web/browser_test.go.

/** Text shown for a number that has no data. */
export const noData = '—';

/**
 * Formats hours: under 1 h as minutes, under 48 h as hours, else as days, with one decimal.
 * @param {number|null|undefined} hours
 */
export function formatHours(hours) {
  if (hours === null || hours === undefined || !Number.isFinite(hours)) {
    return noData;
  }
  if (hours < 1) {
    return `${Math.round(hours * 60)} min`;
  }
  if (hours < 48) {
    return `${oneDecimal(hours)} h`;
  }
  return `${oneDecimal(hours / 24)} d`;
}

/**
 * Formats a fraction as a percentage with at most one decimal (0.125 as "12.5%").
 * @param {number|null|undefined} fraction
 */
export function formatRate(fraction) {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) {
    return noData;
  }
  return `${oneDecimal(fraction * 100)}%`;
}

/**
 * Formats deployments per week with at most one decimal ("2.5/week").
 * @param {number|null|undefined} perWeek
 */
export function formatPerWeek(perWeek) {
  if (perWeek === null || perWeek === undefined || !Number.isFinite(perWeek)) {
    return noData;
  }
  return `${oneDecimal(perWeek)}/week`;
}

/** Rounds to one decimal and drops a trailing ".0". */
export function oneDecimal(value) {
  const rounded = Math.round(value * 10) / 10;
  return Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(1);
}

const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Parses "YYYY-MM-DD" into {year, month (1-12), day}, or returns null when it is not a real date.
 * @param {string} text
 */
export function parseDate(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text ?? '');
  if (!match) {
    return null;
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return null;
  }
  return { year, month, day };
}

/**
 * Adds days to a "YYYY-MM-DD" date and returns the new date in the same form.
 * @param {string} text
 * @param {number} days
 */
export function addDays(text, days) {
  const parsed = parseDate(text);
  if (!parsed) {
    return '';
  }
  const date = new Date(Date.UTC(parsed.year, parsed.month - 1, parsed.day + days));
  return date.toISOString().slice(0, 10);
}

/** Returns the number of days from one "YYYY-MM-DD" date to another. */
export function daysBetween(from, to) {
  const a = parseDate(from);
  const b = parseDate(to);
  if (!a || !b) {
    return NaN;
  }
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86400000);
}

/** Formats "YYYY-MM-DD" as "12 Jun 2020"; without the year when withYear is false. */
export function formatDate(text, withYear = true) {
  const parsed = parseDate(text);
  if (!parsed) {
    return text ?? '';
  }
  const base = `${parsed.day} ${monthNames[parsed.month - 1]}`;
  return withYear ? `${base} ${parsed.year}` : base;
}

/**
 * Formats a report window, whose `to` is exclusive, as the inclusive range a person reads:
 * "1 Jun – 31 Jul 2020".
 * @param {{from: string, to: string}} window
 */
export function formatWindow(window) {
  const last = addDays(window.to, -1);
  const sameYear = window.from.slice(0, 4) === last.slice(0, 4);
  return `${formatDate(window.from, !sameYear)} – ${formatDate(last)}`;
}

/**
 * Formats an instant (RFC 3339) as a calendar date and time in a time zone.
 * @param {string} instant
 * @param {string} timeZone IANA name
 */
export function formatInstant(instant, timeZone) {
  const date = new Date(instant);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1900) {
    return noData;
  }
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: timeZone || 'UTC', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
    }).format(date);
  } catch {
    return date.toISOString().slice(0, 16).replace('T', ' ');
  }
}

/**
 * Returns the calendar date "YYYY-MM-DD" of an instant in a time zone.
 * @param {string} instant
 * @param {string} timeZone IANA name
 */
export function localDate(instant, timeZone) {
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) {
    return '';
  }
  let parts;
  try {
    parts = new Intl.DateTimeFormat('en-CA', { timeZone: timeZone || 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(date);
  } catch {
    return date.toISOString().slice(0, 10);
  }
  const part = (type) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** Returns the Monday on or before a "YYYY-MM-DD" date. */
export function weekStart(text) {
  const parsed = parseDate(text);
  if (!parsed) {
    return '';
  }
  const weekday = new Date(Date.UTC(parsed.year, parsed.month - 1, parsed.day)).getUTCDay();
  return addDays(text, -((weekday + 6) % 7));
}

/** Formats how long ago an instant was: "just now", "5 min ago", "3 h ago", "2 days ago". */
export function formatAge(instant, now = Date.now()) {
  const then = new Date(instant).getTime();
  if (Number.isNaN(then)) {
    return '';
  }
  const minutes = Math.max(0, Math.round((now - then) / 60000));
  if (minutes < 1) {
    return 'just now';
  }
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  const hours = Math.round(minutes / 60);
  if (hours < 48) {
    return `${hours} h ago`;
  }
  return `${Math.round(hours / 24)} days ago`;
}

/**
 * Formats a deployment instant. A version deploys at the end of its release date, which is 00:00
 * of the next day, so such an instant shows as the release date "(end of day)".
 * @param {string} instant
 * @param {string} timeZone IANA name
 */
export function formatDeployedAt(instant, timeZone) {
  const text = formatInstant(instant, timeZone);
  if (!text.endsWith(', 00:00')) {
    return text;
  }
  const releaseDay = localDate(new Date(new Date(instant).getTime() - 60000).toISOString(), timeZone);
  return `${formatDate(releaseDay)} (end of day)`;
}

/**
 * Orders Jira issue keys by project key, then by issue number (EE-2 before EE-10). A key
 * without a number after its last dash sorts after the numbered keys of its project.
 * @param {string} a
 * @param {string} b
 * @returns {number}
 */
export function compareIssueKeys(a, b) {
  const [projectA, numberA] = splitIssueKey(a);
  const [projectB, numberB] = splitIssueKey(b);
  if (projectA !== projectB) {
    return projectA < projectB ? -1 : 1;
  }
  if (numberA !== numberB) {
    return numberA - numberB;
  }
  return a < b ? -1 : (a > b ? 1 : 0);
}

/**
 * Returns a copy of keys ordered with compareIssueKeys.
 * @param {string[]|null|undefined} keys
 */
export function sortIssueKeys(keys) {
  return [...(keys ?? [])].sort(compareIssueKeys);
}

function splitIssueKey(key) {
  const text = String(key ?? '');
  const dash = text.lastIndexOf('-');
  const digits = text.slice(dash + 1);
  if (dash > 0 && /^\d+$/.test(digits)) {
    return [text.slice(0, dash), Number(digits)];
  }
  return [text, Number.POSITIVE_INFINITY];
}
