// Unit tests of the page's pure functions, run with Node's test runner: npm test (in web/).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { timeZoneProblem, validateDates } from './edit.js';
import {
  addDays, daysBetween, formatDeployedAt, formatHours, formatPerWeek, formatRate, formatWindow, localDate, parseDate, sortIssueKeys, weekStart,
} from './format.js';
import { normalizeConfiguration } from './gadget.js';

test('formatHours picks minutes, hours or days', () => {
  const cases = [
    [null, '—'],
    [undefined, '—'],
    [Number.NaN, '—'],
    [0, '0 min'],
    [0.5, '30 min'],
    [1, '1 h'],
    [47.96, '48 h'],
    [48, '2 d'],
    [146.52, '6.1 d'],
  ];
  for (const [hours, want] of cases) {
    assert.equal(formatHours(hours), want, `formatHours(${hours})`);
  }
});

test('formatRate and formatPerWeek keep one decimal', () => {
  assert.equal(formatRate(1 / 3), '33.3%');
  assert.equal(formatRate(0), '0%');
  assert.equal(formatRate(1), '100%');
  assert.equal(formatRate(null), '—');
  assert.equal(formatPerWeek(3 / (61 / 7)), '0.3/week');
  assert.equal(formatPerWeek(5), '5/week');
});

test('parseDate rejects dates that do not exist', () => {
  assert.deepEqual(parseDate('2020-02-29'), { year: 2020, month: 2, day: 29 });
  assert.equal(parseDate('2021-02-29'), null);
  assert.equal(parseDate('2020-13-01'), null);
  assert.equal(parseDate('2020-6-1'), null);
  assert.equal(parseDate(''), null);
});

test('date arithmetic crosses months and years', () => {
  assert.equal(addDays('2020-12-31', 1), '2021-01-01');
  assert.equal(addDays('2020-03-01', -1), '2020-02-29');
  assert.equal(daysBetween('2020-06-01', '2020-08-01'), 61);
  assert.equal(weekStart('2020-06-07'), '2020-06-01', 'Sunday belongs to the week that started on Monday');
  assert.equal(weekStart('2020-06-01'), '2020-06-01');
});

test('formatWindow shows the last day, not the exclusive end', () => {
  assert.equal(formatWindow({ from: '2020-06-01', to: '2020-08-01' }), '1 Jun – 31 Jul 2020');
  assert.equal(formatWindow({ from: '2019-12-01', to: '2020-01-01' }), '1 Dec – 31 Dec 2019');
  assert.equal(formatWindow({ from: '2019-12-15', to: '2020-01-15' }), '15 Dec 2019 – 14 Jan 2020', 'a window across a new year names both years');
});

test('instants are read in the report time zone', () => {
  assert.equal(localDate('2020-06-11T16:00:00Z', 'Asia/Shanghai'), '2020-06-12');
  assert.equal(localDate('2020-06-11T16:00:00Z', 'UTC'), '2020-06-11');
  assert.equal(formatDeployedAt('2020-06-11T16:00:00Z', 'Asia/Shanghai'), '11 Jun 2020 (end of day)', 'a release date ends at midnight');
});

test('validateDates names the bad value and the fix', () => {
  assert.deepEqual(validateDates('2020-06-01', '2020-07-31'), []);
  const [reversed] = validateDates('2020-07-31', '2020-06-01');
  assert.equal(reversed.id, 'last-day');
  assert.match(reversed.message, /2020-06-01.*before the first day.*2020-07-31/);
  const [missing] = validateDates('', '2020-07-31');
  assert.equal(missing.id, 'first-day');
  const [tooLong] = validateDates('2010-01-01', '2020-12-31');
  assert.match(tooLong.message, /4018 days, more than the 3660 days the server computes/);
  assert.deepEqual(validateDates('2016-01-01', addDays('2016-01-01', 3659)), [], 'the server accepts 3660 days');
  assert.equal(validateDates('2016-01-01', addDays('2016-01-01', 3660)).length, 1, 'one day more is too long');
});

test('timeZoneProblem accepts IANA names and names the fix', () => {
  assert.equal(timeZoneProblem('Europe/Berlin'), '');
  assert.equal(timeZoneProblem('UTC'), '');
  assert.match(timeZoneProblem('Mars/Olympus'), /"Mars\/Olympus" is not a time zone: use an IANA name/);
  assert.match(timeZoneProblem('europe/berlin'), /spelled Europe\/Berlin/);
});

test('normalizeConfiguration accepts old and partial configurations', () => {
  assert.equal(normalizeConfiguration(null), null);
  assert.equal(normalizeConfiguration({ projects: [] }), null);
  assert.deepEqual(normalizeConfiguration({ project: '10003' }), { projects: ['10003'], window: { window: 90 }, metric: 'deploymentFrequency' });
  assert.deepEqual(
    normalizeConfiguration({ projects: ['1', 2, ''], from: '2020-06-01', to: '2020-08-01', metric: 'reworkRate' }),
    { projects: ['1'], window: { from: '2020-06-01', to: '2020-08-01' }, metric: 'reworkRate' },
  );
});

test('compareIssueKeys orders by project key, then issue number', () => {
  const keys = ['EE-10', 'EE-2', 'AB-100', 'EE-1', 'K5-3', 'AB-20', 'EE-x'];
  assert.deepEqual(sortIssueKeys(keys), ['AB-20', 'AB-100', 'EE-1', 'EE-2', 'EE-10', 'EE-x', 'K5-3']);
  assert.deepEqual(keys[0], 'EE-10', 'the input is not changed');
  assert.deepEqual(sortIssueKeys(undefined), []);
});
