// Metric definitions: each metric's name, headline value, level thresholds, weekly series and
// the data-quality counts that bear on it.
import { formatHours, formatPerWeek, formatRate, oneDecimal } from './format.js';

/**
 * @typedef {object} MetricDefinition
 * @property {string} id the Report JSON field name, also the drill-down `metric` parameter
 * @property {string} title
 * @property {string} short the title on the metric's tile, short enough for one line
 * @property {(report: any) => number|null} value the headline number
 * @property {(value: number|null) => string} format
 * @property {'higher'|'lower'} better which direction is an improvement
 * @property {(delta: number) => string} formatDelta formats a difference of two headline values, without its sign
 * @property {(report: any) => string} detail one line of counts behind the headline
 * @property {Record<string, string>|null} levels what each DORA level means, or null when DORA defines none
 * @property {string[]} quality the dataQuality fields that bear on this metric
 * @property {string} seriesLabel what one bar of the weekly chart counts
 * @property {(report: any) => Array<{weekStart: string, value: number|null}>|null} series
 * @property {(value: number) => string} formatAxis
 * @property {(max: number) => number} [axisUnit] the unit of the chart's axis for a maximum
 * @property {boolean} [integer] whether the weekly values are counts
 */

// Durations above two days are shown in days, so their axis counts whole days.
const hoursAxisUnit = (max) => (max >= 48 ? 24 : 1);

const valueOrNull = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

const plural = (count, one, many) => `${count} ${count === 1 ? one : many}`;

/** @type {MetricDefinition[]} */
export const metrics = [
  {
    id: 'deploymentFrequency',
    title: 'Deployment frequency',
    short: 'Deployment frequency',
    value: (r) => valueOrNull(r.deploymentFrequency?.perWeek),
    format: formatPerWeek,
    better: 'higher',
    formatDelta: (d) => `${oneDecimal(d)}/week`,
    detail: (r) => {
      const m = r.deploymentFrequency ?? {};
      return `${plural(m.count ?? 0, 'deployment', 'deployments')} on ${plural(m.deploymentDays ?? 0, 'day', 'days')}`;
    },
    levels: {
      elite: 'deploys on 5 or more days in a typical week',
      high: 'deploys on at least 1 day in a typical week',
      medium: 'deploys on at least 1 day a month',
      low: 'deploys on fewer than 1 day a month',
    },
    quality: ['versionsWithoutReleaseDate', 'unknownStatuses'],
    seriesLabel: 'deployments',
    series: (r) => (r.deploymentFrequency?.series ?? []).map((w) => ({ weekStart: w.weekStart, value: valueOrNull(w.count) })),
    formatAxis: (v) => oneDecimal(v),
    integer: true,
  },
  {
    id: 'leadTimeForChanges',
    title: 'Lead time for changes',
    short: 'Lead time for changes',
    value: (r) => valueOrNull(r.leadTimeForChanges?.medianHours),
    format: formatHours,
    better: 'lower',
    formatDelta: (d) => formatHours(d),
    detail: (r) => {
      const m = r.leadTimeForChanges ?? {};
      const parts = [`median of ${plural(m.count ?? 0, 'change', 'changes')}`];
      if (valueOrNull(m.p75Hours) !== null) {
        parts.push(`p75 ${formatHours(m.p75Hours)}`);
      }
      if (valueOrNull(m.p90Hours) !== null) {
        parts.push(`p90 ${formatHours(m.p90Hours)}`);
      }
      return parts.join(' · ');
    },
    levels: {
      elite: 'median under 1 day',
      high: 'median under 1 week',
      medium: 'median under 30 days',
      low: 'median of 30 days or more',
    },
    quality: ['startedAtCreated', 'notDone', 'negativeDurations', 'unknownStatuses'],
    seriesLabel: 'median lead time',
    axisUnit: hoursAxisUnit,
    series: (r) => (r.leadTimeForChanges?.series ?? []).map((w) => ({ weekStart: w.weekStart, value: valueOrNull(w.medianHours) })),
    formatAxis: formatHours,
  },
  {
    id: 'changeFailureRate',
    title: 'Change failure rate',
    short: 'Change failure rate',
    value: (r) => valueOrNull(r.changeFailureRate?.rate),
    format: formatRate,
    better: 'lower',
    formatDelta: (d) => `${oneDecimal(d * 100)} pts`,
    detail: (r) => {
      const m = r.changeFailureRate ?? {};
      return `${m.failedDeployments ?? 0} of ${plural(m.deployments ?? 0, 'deployment', 'deployments')} failed`;
    },
    levels: {
      elite: '5% of deployments or fewer fail',
      high: '10% or fewer fail',
      medium: '15% or fewer fail',
      low: 'more than 15% fail',
    },
    quality: ['versionsWithoutReleaseDate'],
    seriesLabel: 'failure rate',
    axisUnit: () => 0.01,
    series: (r) => (r.changeFailureRate?.series ?? []).map((w) => ({ weekStart: w.weekStart, value: valueOrNull(w.rate) })),
    formatAxis: formatRate,
  },
  {
    id: 'failedDeploymentRecoveryTime',
    title: 'Failed deployment recovery time',
    short: 'Recovery time',
    value: (r) => valueOrNull(r.failedDeploymentRecoveryTime?.medianHours),
    format: formatHours,
    better: 'lower',
    formatDelta: (d) => formatHours(d),
    detail: (r) => {
      const m = r.failedDeploymentRecoveryTime ?? {};
      const parts = [`median of ${plural(m.count ?? 0, 'incident', 'incidents')}`];
      if ((m.openIncidents ?? 0) > 0) {
        const oldest = valueOrNull(m.oldestOpenIncidentAgeHours);
        parts.push(`${m.openIncidents} open${oldest !== null ? `, oldest ${formatHours(oldest)}` : ''}`);
      }
      return parts.join(' · ');
    },
    levels: {
      elite: 'median under 1 hour',
      high: 'median under 1 day',
      medium: 'median under 1 week',
      low: 'median of 1 week or more',
    },
    quality: ['unknownStatuses'],
    seriesLabel: 'median recovery time',
    axisUnit: hoursAxisUnit,
    series: (r) => (r.failedDeploymentRecoveryTime?.series ?? []).map((w) => ({ weekStart: w.weekStart, value: valueOrNull(w.medianHours) })),
    formatAxis: formatHours,
  },
  {
    id: 'reworkRate',
    title: 'Deployment rework rate',
    short: 'Rework rate',
    value: (r) => valueOrNull(r.reworkRate?.rate),
    format: formatRate,
    better: 'lower',
    formatDelta: (d) => `${oneDecimal(d * 100)} pts`,
    detail: (r) => {
      const m = r.reworkRate ?? {};
      return `${m.reworkDeployments ?? 0} of ${plural(m.deployments ?? 0, 'deployment', 'deployments')} were rework`;
    },
    levels: null,
    quality: ['versionsWithoutReleaseDate'],
    seriesLabel: 'rework rate',
    axisUnit: () => 0.01,
    // The Report JSON has no weekly rework series, so the gadget builds it from the drill-down.
    series: () => null,
    formatAxis: formatRate,
  },
];

/** Returns the definition of a metric id, or the first metric when the id is unknown. */
export function metricById(id) {
  return metrics.find((m) => m.id === id) ?? metrics[0];
}

/** Returns the DORA level of a metric in a report, or null. */
export function levelOf(report, metricId) {
  const level = report?.[metricId]?.level;
  return ['elite', 'high', 'medium', 'low'].includes(level) ? level : null;
}

/** Sentences for the dataQuality counts, keyed by field. */
export const qualityNotes = {
  startedAtCreated: (n) => `${plural(n, 'change', 'changes')} never entered an in-progress status, so lead time starts at creation.`,
  notDone: (n) => `${plural(n, 'issue', 'issues')} in released versions ${n === 1 ? 'is' : 'are'} not done and ${n === 1 ? 'is' : 'are'} left out of lead time.`,
  negativeDurations: (n) => `${plural(n, 'change', 'changes')} started after ${n === 1 ? 'its' : 'their'} deployment and ${n === 1 ? 'is' : 'are'} left out.`,
  versionsWithoutReleaseDate: (n) => `${plural(n, 'released version has', 'released versions have')} no release date and ${n === 1 ? 'does' : 'do'} not count as a deployment.`,
  unknownStatuses: (n) => `${plural(n, 'status', 'statuses')} in issue histories ${n === 1 ? 'is' : 'are'} missing from Jira's status list, so ${n === 1 ? 'it counts' : 'they count'} as neither started nor done.`,
};

/** Words for the reasons an issue is left out, as the drill-down's `excluded` list gives them. */
export const exclusionReasons = {
  notDone: 'not done',
  negativeDuration: 'started after its deployment',
  startedAtCreated: 'lead time starts at creation',
};
