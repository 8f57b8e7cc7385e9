package web_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The formatting below mirrors web/src/format.js, so the tests check the text a person reads.

func formatOneDecimal(value float64) string {
	rounded := math.Round(value*10) / 10
	if rounded == math.Trunc(rounded) {
		return strconv.FormatFloat(rounded, 'f', -1, 64)
	}
	return strconv.FormatFloat(rounded, 'f', 1, 64)
}

func formatHours(hours *float64) string {
	switch {
	case hours == nil:
		return "—"
	case *hours < 1:
		return fmt.Sprintf("%d min", int(math.Round(*hours*60)))
	case *hours < 48:
		return formatOneDecimal(*hours) + " h"
	default:
		return formatOneDecimal(*hours/24) + " d"
	}
}

func formatRate(rate *float64) string {
	if rate == nil {
		return "—"
	}
	return formatOneDecimal(*rate*100) + "%"
}

func formatPerWeek(perWeek *float64) string {
	if perWeek == nil {
		return "—"
	}
	return formatOneDecimal(*perWeek) + "/week"
}

// renderedMetric is what the gadget shows in one metric's tile.
type renderedMetric struct {
	Metric    string `json:"metric"`
	Value     string `json:"value"`
	Level     string `json:"level"`
	LevelText string `json:"levelText"`
	Selected  bool   `json:"selected"`
}

const readTilesScript = `[...document.querySelectorAll('.tile')].map((tile) => ({
  metric: tile.dataset.metric,
  value: tile.querySelector('.tile-value').textContent,
  level: tile.querySelector('.level').dataset.level,
  levelText: tile.querySelector('.level').textContent,
  selected: tile.getAttribute('aria-selected') === 'true',
}))`

// expectedTiles formats a Report the way the gadget must show it.
func expectedTiles(report dora.Report) map[string]renderedMetric {
	levelText := func(level dora.Level, none string) string {
		words := map[dora.Level]string{dora.LevelElite: "Elite", dora.LevelHigh: "High", dora.LevelMedium: "Medium", dora.LevelLow: "Low"}
		if level == "" {
			return none
		}
		return words[level]
	}
	return map[string]renderedMetric{
		"deploymentFrequency": {
			Value: formatPerWeek(report.DeploymentFrequency.PerWeek), Level: string(report.DeploymentFrequency.Level),
			LevelText: levelText(report.DeploymentFrequency.Level, "No level: no data"),
		},
		"leadTimeForChanges": {
			Value: formatHours(report.LeadTimeForChanges.MedianHours), Level: string(report.LeadTimeForChanges.Level),
			LevelText: levelText(report.LeadTimeForChanges.Level, "No level: no data"),
		},
		"changeFailureRate": {
			Value: formatRate(report.ChangeFailureRate.Rate), Level: string(report.ChangeFailureRate.Level),
			LevelText: levelText(report.ChangeFailureRate.Level, "No level: no data"),
		},
		"failedDeploymentRecoveryTime": {
			Value: formatHours(report.FailedDeploymentRecoveryTime.MedianHours), Level: string(report.FailedDeploymentRecoveryTime.Level),
			LevelText: levelText(report.FailedDeploymentRecoveryTime.Level, "No level: no data"),
		},
		"reworkRate": {Value: formatRate(report.ReworkRate.Rate), Level: "", LevelText: "No DORA level"},
	}
}

// getJSON fetches a gadget route from the server under test, as the page does, and decodes it.
func getJSON(t *testing.T, base, path string, query url.Values, into any) {
	t.Helper()
	response, err := http.Get(base + path + "?" + query.Encode())
	require.NoError(t, err, "GET %s", path)
	defer func() { _ = response.Body.Close() }() // decoded below, so a close error loses nothing
	require.Equal(t, http.StatusOK, response.StatusCode, "GET %s?%s", path, query.Encode())
	require.NoError(t, json.NewDecoder(response.Body).Decode(into), "decode %s", path)
}

// gadgetConfiguration is the configuration the edit view saves for one project and June–July 2020.
func gadgetConfiguration(projectID string) string {
	return fmt.Sprintf(`{"projects":[%q],"project":%q,"from":"2020-06-01","to":"2020-08-01","metric":"deploymentFrequency"}`, projectID, projectID)
}

func TestGadgetShowsReportValues(t *testing.T) {
	site := newFixtureSite(t)
	b := newBrowser(t)
	checkReportView(t, b, site.URL(), fixtureProjectEE, site.jiraURL())
}

// checkReportView opens the gadget on a project for June and July 2020 and checks every value,
// level, the tab keys, each metric's panel and the drill-down against the server's JSON.
// siteURL is the Jira site URL from the projects response, or "" when the response has none.
func checkReportView(t *testing.T, b *browser, base, projectID, siteURL string) {
	t.Helper()
	checkReportViewIn(t, b, base, projectID, siteURL, juneJuly2020)
}

// reportWindow is a gadget window as the configuration stores it and as the routes take it.
type reportWindow struct {
	configJSON string     // the window's fields in the gadget configuration
	query      url.Values // the window's query parameters
	shownAs    string     // the window as the gadget must show it, or "" to skip that check
}

var juneJuly2020 = reportWindow{
	configJSON: `"from":"2020-06-01","to":"2020-08-01"`,
	query:      url.Values{"from": {"2020-06-01"}, "to": {"2020-08-01"}},
	shownAs:    "1 Jun – 31 Jul 2020",
}

// checkReportViewIn is checkReportView for any window.
func checkReportViewIn(t *testing.T, b *browser, base, projectID, siteURL string, reportWin reportWindow) {
	t.Helper()
	window := url.Values{"project": {projectID}}
	for key, values := range reportWin.query {
		window[key] = values
	}
	var report dora.Report
	getJSON(t, base, "/forge/gadget/report", window, &report)

	config := fmt.Sprintf(`{"projects":[%q],%s,"metric":"deploymentFrequency"}`, projectID, reportWin.configJSON)
	b.do("open the gadget page",
		chromedp.Navigate(base+"/"),
		setLocalConfiguration(config),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#metric-panel`)),
		waitSettled(),
	)
	b.screenshot("01-ready-light")
	b.checkAccessibleNames("the gadget view")

	tiles := evaluate[[]renderedMetric](b, "read the tiles", readTilesScript)
	want := expectedTiles(report)
	require.Len(t, tiles, len(want), "one tile per metric")
	for _, tile := range tiles {
		t.Run(tile.Metric, func(t *testing.T) {
			expected, ok := want[tile.Metric]
			require.True(t, ok, "unknown metric tile %q", tile.Metric)
			assert.Equal(t, expected.Value, tile.Value, "shown value")
			assert.Equal(t, expected.Level, tile.Level, "level")
			assert.Equal(t, expected.LevelText, tile.LevelText, "level in words")
		})
	}
	assert.True(t, tiles[0].Selected, "the configured first metric is selected")

	heading := evaluate[string](b, "read the heading", `document.querySelector('#gadget-title').textContent`)
	assert.Contains(t, heading, report.Project.Name, "the heading names the project")
	windowText := evaluate[string](b, "read the window", `document.querySelector('#window-text').textContent`)
	if reportWin.shownAs != "" {
		assert.Contains(t, windowText, reportWin.shownAs, "the window shows its last day, not the exclusive end")
	}
	assert.Contains(t, windowText, report.Window.TimeZone, "the window names its time zone")

	throughput := evaluate[string](b, "read the throughput", `document.querySelector('[data-flow="throughput"]').textContent`)
	wantThroughput := "no changes done"
	if report.Throughput != nil {
		wantThroughput = formatOneDecimal(*report.Throughput) + " changes done a week"
	}
	assert.Equal(t, wantThroughput, throughput, "throughput")
	reopened := evaluate[string](b, "read the reopen rate", `document.querySelector('[data-flow="reopenRate"]').textContent`)
	wantReopened := "no data"
	if report.ReopenRate != nil {
		wantReopened = formatRate(report.ReopenRate)
	}
	assert.Equal(t, wantReopened, reopened, "reopen rate")

	// Arrow keys move between metrics, as in any tab list.
	b.do("move to the next metric with the keyboard",
		waitSettled(),
		chromedp.Focus(chromedp.CSS(`#tab-deploymentFrequency`)),
		chromedp.KeyEvent(kb.ArrowRight),
		chromedp.WaitVisible(chromedp.CSS(`#metric-panel[data-metric="leadTimeForChanges"]`)),
	)
	focused := evaluate[string](b, "read the focused element", `document.activeElement.id`)
	assert.Equal(t, "tab-leadTimeForChanges", focused, "focus follows the selected tab")

	panelNumbers := map[string]string{
		"deploymentFrequency":          formatPerWeek(report.DeploymentFrequency.PerWeek),
		"leadTimeForChanges":           formatHours(report.LeadTimeForChanges.MedianHours),
		"changeFailureRate":            formatRate(report.ChangeFailureRate.Rate),
		"failedDeploymentRecoveryTime": formatHours(report.FailedDeploymentRecoveryTime.MedianHours),
		"reworkRate":                   formatRate(report.ReworkRate.Rate),
	}
	for index, metric := range []string{"deploymentFrequency", "leadTimeForChanges", "changeFailureRate", "failedDeploymentRecoveryTime", "reworkRate"} {
		b.do("select "+metric,
			chromedp.Click(chromedp.CSS(`#tab-`+metric)),
			chromedp.WaitVisible(chromedp.CSS(`#metric-panel[data-metric="`+metric+`"] .chart-svg`)),
			waitSettled(),
		)
		number := evaluate[string](b, "read the panel number", `document.querySelector('.panel-number').textContent`)
		assert.Equal(t, panelNumbers[metric], number, "%s panel number", metric)
		b.screenshot(fmt.Sprintf("02-metric-%d-%s", index+1, metric))
	}

	// The drill-down lists the changes behind lead time, each key linked when the site URL is known.
	var evidence dora.Evidence
	drill := url.Values{"metric": {"leadTimeForChanges"}}
	for key, values := range window {
		drill[key] = values
	}
	getJSON(t, base, "/forge/gadget/drilldown", drill, &evidence)
	b.do("open the lead time drill-down",
		chromedp.Click(chromedp.CSS(`#tab-leadTimeForChanges`)),
		chromedp.Click(chromedp.CSS(`#drilldown-toggle`)),
		chromedp.WaitVisible(chromedp.CSS(`.evidence`)),
		waitSettled(),
	)
	shownKeys := evaluate[[]string](b, "read the issue keys", `[...document.querySelectorAll('.evidence [data-issue]')].map((e) => e.dataset.issue)`)
	var wantKeys []string
	for _, change := range evidence.Changes {
		wantKeys = append(wantKeys, change.Key)
	}
	// The page orders the excluded issues by project key and issue number.
	var excludedKeys []string
	for _, excluded := range evidence.Excluded {
		excludedKeys = append(excludedKeys, excluded.Key)
	}
	slices.SortFunc(excludedKeys, compareIssueKeys)
	wantKeys = append(wantKeys, excludedKeys...)
	assert.Equal(t, wantKeys, shownKeys, "issue keys behind lead time")
	if siteURL != "" {
		links := evaluate[[]string](b, "read the issue links", `[...document.querySelectorAll('.evidence a[data-issue]')].map((a) => a.href)`)
		require.Len(t, links, len(wantKeys), "every issue key is a link")
		for i, key := range wantKeys {
			assert.Equal(t, siteURL+"/browse/"+key, links[i], "link of %s", key)
		}
	}
	expanded := evaluate[string](b, "read aria-expanded", `document.querySelector('#drilldown-toggle').getAttribute('aria-expanded')`)
	assert.Equal(t, "true", expanded, "the disclosure button says it is open")
	b.screenshot("03-drilldown-lead-time")
	b.checkAccessibleNames("the drill-down")

	b.do("open the deployment drill-down",
		chromedp.Click(chromedp.CSS(`#tab-changeFailureRate`)),
		chromedp.WaitVisible(chromedp.CSS(`.evidence .badge`)),
		waitSettled(),
	)
	b.screenshot("04-drilldown-failures")

	b.do("switch to the dark theme",
		colorScheme("dark"),
		chromedp.Click(chromedp.CSS(`#tab-deploymentFrequency`)),
		waitSettled(),
		chromedp.Click(chromedp.CSS(`#drilldown-toggle`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.evidence`)),
	)
	background := evaluate[string](b, "read the background colour", `getComputedStyle(document.body).backgroundColor`)
	assert.Equal(t, "rgb(29, 33, 37)", background, "the dark theme follows prefers-color-scheme")
	b.screenshot("05-ready-dark")

	// A gadget in a three-column dashboard is about 400 pixels wide.
	b.do("narrow the page to a dashboard column",
		colorScheme("light"),
		chromedp.EmulateViewport(420, 900),
		chromedp.Reload(),
		waitSettled(),
	)
	overflow := evaluate[bool](b, "check horizontal overflow", `document.documentElement.scrollWidth > document.documentElement.clientWidth`)
	assert.False(t, overflow, "the gadget fits a 420 pixel column without scrolling sideways")
	b.screenshot("06-narrow")
}
