package web_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// firstSyncText is the sentence the page shows while the first sync with Jira runs.
const firstSyncText = "The first sync with Jira is still running; this page refreshes when it finishes."

// compareIssueKeys orders issue keys as the page does: by project key, then by issue number.
func compareIssueKeys(a, b string) int {
	projectA, numberA := splitIssueKey(a)
	projectB, numberB := splitIssueKey(b)
	if projectA != projectB {
		return strings.Compare(projectA, projectB)
	}
	if numberA != numberB {
		return numberA - numberB
	}
	return strings.Compare(a, b)
}

func splitIssueKey(key string) (string, int) {
	dash := strings.LastIndex(key, "-")
	if dash > 0 {
		if number, err := strconv.Atoi(key[dash+1:]); err == nil {
			return key[:dash], number
		}
	}
	return key, int(^uint(0) >> 1)
}

func TestGadgetWaitsForFirstSync(t *testing.T) {
	site := newFixtureSite(t)
	site.mu.Lock()
	site.syncing = true
	site.mu.Unlock()
	b := newBrowser(t)

	b.do("open the edit view while the first sync runs",
		chromedp.Navigate(site.URL()+"/?view=edit"),
		chromedp.Evaluate[chromedp.Void](`localStorage.clear()`),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#projects-syncing`)),
	)
	text := evaluate[string](b, "read the project list", `document.querySelector('#project-list').textContent`)
	assert.Contains(t, text, firstSyncText, "the edit view says the sync runs")
	assert.NotContains(t, text, "Browse Projects", "no permission problem is reported")
	b.screenshot("01-edit-syncing")

	b.do("open the gadget while the first sync runs",
		chromedp.Navigate(site.URL()+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-state="syncing"]`)),
	)
	text = evaluate[string](b, "read the syncing state", `document.querySelector('[data-state="syncing"]').textContent`)
	assert.Contains(t, text, firstSyncText, "the gadget says the sync runs")
	b.screenshot("02-gadget-syncing")

	site.mu.Lock()
	site.syncing = false
	site.mu.Unlock()
	b.do("wait for the gadget to refresh itself",
		chromedp.WaitVisible(chromedp.CSS(`#metric-panel`)),
		waitSettled(),
	)
	name := evaluate[string](b, "read the project name", `document.querySelector('.project-name').textContent`)
	assert.Equal(t, "Enterprise Edition", name, "the first project the viewer can browse")
	b.screenshot("03-gadget-after-sync")
}

func TestGadgetWaitsForProjectReport(t *testing.T) {
	site := newFixtureSite(t)
	site.mu.Lock()
	site.pending[fixtureProjectEE] = true
	site.mu.Unlock()
	b := newBrowser(t)
	b.expectConsoleError(`status of 404`)

	b.do("open a project whose report is not computed yet",
		chromedp.Navigate(site.URL()+"/"),
		setLocalConfiguration(gadgetConfiguration(fixtureProjectEE)),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-state="syncing"]`)),
	)
	text := evaluate[string](b, "read the syncing state", `document.querySelector('[data-state="syncing"]').textContent`)
	assert.Contains(t, text, firstSyncText, "the gadget says the sync runs")
	assert.NotContains(t, text, "/forge/", "no route path reaches the viewer")
	b.screenshot("01-report-pending")

	site.mu.Lock()
	delete(site.pending, fixtureProjectEE)
	site.mu.Unlock()
	b.do("wait for the report", chromedp.WaitVisible(chromedp.CSS(`#metric-panel`)), waitSettled())
}

func TestDrilldownKeysSortByNumber(t *testing.T) {
	site := newFixtureSite(t)
	b := newBrowser(t)
	b.do("open the deployments behind deployment frequency",
		chromedp.Navigate(site.URL()+"/"),
		setLocalConfiguration(gadgetConfiguration(fixtureProjectEE)),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#metric-panel`)),
		waitSettled(),
		chromedp.Click(chromedp.CSS(`#drilldown-toggle`)),
		chromedp.WaitVisible(chromedp.CSS(`.evidence`)),
		waitSettled(),
	)
	row := evaluate[[]string](b, "read the change keys of v2.7.0",
		`[...[...document.querySelectorAll('.evidence-table tr')].find((tr) => tr.textContent.includes('v2.7.0')).querySelectorAll('[data-issue]')].map((e) => e.dataset.issue)`)
	assert.Equal(t, []string{"EE-1", "EE-2", "EE-3", "EE-4", "EE-5", "EE-6", "EE-8", "EE-9"}, row, "the first eight keys in number order")
	b.screenshot("drilldown-sorted-keys")
}

func TestForgeGadgetWithoutConfigurationAsks(t *testing.T) {
	site := newFixtureSite(t)
	b := newBrowser(t)
	openInForge(t, b, site.URL(), map[string]any{"siteUrl": "http://127.0.0.1:1/jira-site", "extension": map[string]any{}})
	b.do("wait for the unconfigured state", chromedp.WaitVisible(chromedp.CSS(`[data-state="unconfigured"]`)))

	text := evaluate[string](b, "read the unconfigured state", `document.querySelector('[data-state="unconfigured"]').textContent`)
	assert.Contains(t, text, "Choose a project", "inside Jira the gadget asks to be configured")
	tiles := evaluate[int](b, "count the tiles", `document.querySelectorAll('.tile').length`)
	assert.Zero(t, tiles, "no project is picked for the viewer inside Jira")
	b.screenshot("forge-unconfigured")
}
