// Weekly bar charts drawn as inline SVG. The Custom UI content security policy allows no chart
// library, and a bar per ISO week needs little code.
import { formatDate } from './format.js';
import { h, svg } from './dom.js';

const height = 150;
const margin = { top: 10, right: 8, bottom: 22, left: 52 };

/**
 * Draws a bar chart of a weekly series, with a hidden table of the same numbers for screen readers.
 * @param {object} options
 * @param {string} options.id unique prefix for element ids
 * @param {string} options.title the chart's accessible name, such as "Deployments per week"
 * @param {Array<{weekStart: string, value: number|null}>} options.points one per ISO week, oldest first
 * @param {(value: number) => string} options.formatValue formats a bar's value and the axis labels
 * @param {number} options.width the drawing's width in CSS pixels, so its text keeps the page's size
 * @param {(max: number) => number} [options.axisUnit] the unit the axis counts in for a given
 *   maximum, such as 24 for hours shown as days; the axis top is a round number of that unit
 * @param {boolean} [options.integer] whether the values are counts, so the axis labels only whole numbers
 * @returns {HTMLElement}
 */
export function weeklyChart({ id, title, points, formatValue, width, axisUnit = () => 1, integer = false }) {
  const figure = h('figure', { class: 'chart' });
  const caption = h('figcaption', { class: 'chart-title', id: `${id}-title`, text: title });
  figure.append(caption);

  if (points.length === 0) {
    figure.append(h('p', { class: 'chart-empty', text: 'No whole weeks in this window.' }));
    return figure;
  }

  const values = points.map((p) => p.value).filter((v) => v !== null);
  const max = values.length > 0 ? Math.max(...values) : 0;
  const unit = axisUnit(max);
  const top = max > 0 ? roundUp(max / unit) * unit : unit;
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const slot = plotWidth / points.length;
  const barWidth = Math.max(2, Math.min(28, slot * 0.7));
  const y = (v) => margin.top + plotHeight - (v / top) * plotHeight;

  const summary = values.length === 0
    ? `${title}: no data in any week.`
    : `${title}, ${points.length} weeks from ${formatDate(points[0].weekStart)}: highest ${formatValue(max)}.`;
  const chart = svg('svg', {
    class: 'chart-svg',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': summary,
  });

  for (const fraction of [0, 0.5, 1]) {
    const value = top * fraction;
    const lineY = y(value);
    let label = fraction === 0 ? '0' : formatValue(value);
    if (max === 0 && fraction > 0 || integer && !Number.isInteger(value)) {
      label = '';
    }
    chart.append(
      svg('line', { class: 'chart-grid', x1: margin.left, x2: width - margin.right, y1: lineY, y2: lineY }),
      svg('text', { class: 'chart-axis', x: margin.left - 6, y: lineY + 4, 'text-anchor': 'end', text: label }),
    );
  }

  points.forEach((point, index) => {
    const x = margin.left + slot * index + (slot - barWidth) / 2;
    const label = `Week of ${formatDate(point.weekStart)}: ${point.value === null ? 'no data' : formatValue(point.value)}`;
    if (point.value === null) {
      chart.append(svg('rect', { class: 'chart-bar chart-bar-empty', x, y: y(0) - 2, width: barWidth, height: 2 }, svg('title', { text: label })));
      return;
    }
    const barTop = y(point.value);
    // A zero still gets a thin bar, so it reads differently from a week without data.
    const barHeight = Math.max(2, y(0) - barTop);
    chart.append(svg('rect', {
      class: 'chart-bar', x, y: y(0) - barHeight, width: barWidth, height: barHeight, rx: 2,
    }, svg('title', { text: label })));
  });

  const labelled = new Set([0, Math.floor((points.length - 1) / 2), points.length - 1]);
  for (const index of labelled) {
    const x = margin.left + slot * index + slot / 2;
    chart.append(svg('text', {
      class: 'chart-axis', x, y: height - 6, 'text-anchor': 'middle', text: formatDate(points[index].weekStart, false),
    }));
  }

  figure.append(chart);
  figure.append(h('table', { class: 'visually-hidden' },
    h('caption', { text: title }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Week of' }), h('th', { scope: 'col', text: 'Value' }))),
    h('tbody', {}, points.map((p) => h('tr', {},
      h('th', { scope: 'row', text: formatDate(p.weekStart) }),
      h('td', { text: p.value === null ? 'no data' : formatValue(p.value) }))))));
  return figure;
}

// Rounds a positive number up to 1, 2, 2.5 or 5 times a power of ten, for a readable axis top.
function roundUp(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => value <= s * power + 1e-9);
  return step * power;
}
