package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

func TestGadgetForbiddenState(t *testing.T) {
	site := newFixtureSite(t)
	b := newBrowser(t)
	checkForbidden(t, b, site.URL(), fixtureProjectHidden)
}

// checkForbidden opens the gadget on a project the viewer may not browse and checks that the
// forbidden state, and no number, appears.
func checkForbidden(t *testing.T, b *browser, base, projectID string) {
	t.Helper()
	b.expectConsoleError(`status of 403`)
	b.do("open the gadget on a project the viewer may not browse",
		chromedp.Navigate(base+"/"),
		setLocalConfiguration(gadgetConfiguration(projectID)),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-state="forbidden"]`)),
	)
	text := evaluate[string](b, "read the forbidden state", `document.querySelector('[data-state="forbidden"]').textContent`)
	assert.Contains(t, text, "Browse Projects", "the state names the missing permission")
	tiles := evaluate[int](b, "count the tiles", `document.querySelectorAll('.tile').length`)
	assert.Zero(t, tiles, "no metric is shown")
	role := evaluate[string](b, "read the role", `document.querySelector('[data-state="forbidden"]').getAttribute('role')`)
	assert.Equal(t, "alert", role, "screen readers announce the state")
	b.screenshot("forbidden")
}

func TestGadgetLoadingErrorAndEmptyStates(t *testing.T) {
	site := newFixtureSite(t)
	b := newBrowser(t)

	t.Run("loading", func(t *testing.T) {
		b := b.forTest(t)
		site.mu.Lock()
		site.holdReports = make(chan struct{})
		site.mu.Unlock()
		b.do("open the gadget while the report is held back",
			chromedp.Navigate(site.URL()+"/"),
			setLocalConfiguration(gadgetConfiguration(fixtureProjectEE)),
			chromedp.Reload(),
			chromedp.WaitVisible(chromedp.CSS(`[data-state="loading"]`)),
		)
		busy := evaluate[string](b, "read aria-busy", `document.querySelector('#app').getAttribute('aria-busy')`)
		assert.Equal(t, "true", busy, "the page says it is busy")
		b.screenshot("01-loading")
		site.release()
		b.do("wait for the report", chromedp.WaitVisible(chromedp.CSS(`#metric-panel`)), waitSettled())
	})

	t.Run("error", func(t *testing.T) {
		b := b.forTest(t)
		site.mu.Lock()
		site.failReports = true
		site.mu.Unlock()
		b.expectConsoleError(`status of 503`)
		b.do("open the gadget while the backend fails",
			chromedp.Reload(),
			chromedp.WaitVisible(chromedp.CSS(`[data-state="error"]`)),
		)
		text := evaluate[string](b, "read the error state", `document.querySelector('[data-state="error"]').textContent`)
		assert.Contains(t, text, "could not reach Jira", "the server's message is shown")
		b.screenshot("02-error")

		site.mu.Lock()
		site.failReports = false
		site.mu.Unlock()
		b.do("try again", chromedp.Click(chromedp.CSS(`#retry`)), chromedp.WaitVisible(chromedp.CSS(`#metric-panel`)), waitSettled())
	})

	t.Run("unknown project", func(t *testing.T) {
		b := b.forTest(t)
		b.expectConsoleError(`status of 404`)
		b.do("open a project the server has no report of",
			setLocalConfiguration(`{"projects":["10077"],"from":"2020-06-01","to":"2020-08-01"}`),
			chromedp.Reload(),
			chromedp.WaitVisible(chromedp.CSS(`[data-state="error"]`)),
		)
		text := evaluate[string](b, "read the error state", `document.querySelector('[data-state="error"]').textContent`)
		assert.Contains(t, text, "No metrics for this project", "a missing project reads as no metrics")
		assert.Contains(t, text, `Project "10077" not found`, "the server's message is shown as a sentence")
		assert.Contains(t, text, "Pick another project in the gadget settings", "the state says what to do")
		b.screenshot("03-unknown-project")
	})

	t.Run("empty", func(t *testing.T) {
		b := b.forTest(t)
		b.do("open a window without deployments",
			setLocalConfiguration(`{"projects":["`+fixtureProjectEE+`"],"window":30,"metric":"deploymentFrequency"}`),
			chromedp.Reload(),
			chromedp.WaitVisible(chromedp.CSS(`[data-state="empty"]`)),
			waitSettled(),
		)
		text := evaluate[string](b, "read the empty notice", `document.querySelector('[data-state-note="empty"]').textContent`)
		assert.Contains(t, text, "No deployments in this window.", "empty state")
		value := evaluate[string](b, "read lead time", `document.querySelector('#tab-leadTimeForChanges .tile-value').textContent`)
		assert.Equal(t, "—", value, "a metric without data shows a dash, not 0")
		b.screenshot("04-empty")
	})

	t.Run("several projects", func(t *testing.T) {
		b := b.forTest(t)
		b.do("open the gadget on two projects",
			setLocalConfiguration(`{"projects":["`+fixtureProjectEE+`","`+fixtureProjectK5+`"],"from":"2020-06-01","to":"2020-08-01"}`),
			chromedp.Reload(),
			// The view redraws when the previous window and the project names arrive, so the test
			// waits for both before it uses the picker.
			waitSettled(),
			chromedp.Poll[chromedp.Void](`document.querySelector('#project-select option[value="`+fixtureProjectK5+`"]')?.textContent === 'Keon_5 (K5)'`),
			chromedp.SetValue(chromedp.CSS(`#project-select`), fixtureProjectK5),
			chromedp.WaitVisible(chromedp.CSS(`.project-key`)),
			chromedp.Poll[chromedp.Void](`document.querySelector('.project-key')?.textContent === 'K5'`),
		)
		b.screenshot("05-second-project")
	})
}

// TestBrowserChecksCatchViolations proves that the checks the other tests rely on can fail: a page
// with an inline script under the Custom UI policy must be reported.
func TestBrowserChecksCatchViolations(t *testing.T) {
	site := newFixtureSite(t)
	b := newBrowser(t)
	b.do("open a page that breaks the policy", chromedp.Navigate(site.URL()+"/violation.html"))
	b.do("let the page finish", chromedp.WaitVisible(chromedp.CSS(`body`)))

	problems := b.takeProblems()
	assert.NotEmpty(t, problems, "an inline script under the policy is reported")
	found := false
	for _, p := range problems {
		if assertContainsAny(p, "Content Security Policy", "Content-Security-Policy") {
			found = true
		}
	}
	assert.True(t, found, "a problem names the content security policy: %v", problems)
	assert.False(t, loopbackURL("http://example.com/x"), "a request to another host is caught")
	assert.False(t, loopbackURL("http://10.0.0.1/x"), "a request to a private address is caught")
	assert.True(t, loopbackURL("http://127.0.0.1:8080/forge/gadget/report"), "loopback is allowed")
}

func assertContainsAny(text string, parts ...string) bool {
	for _, part := range parts {
		if strings.Contains(text, part) {
			return true
		}
	}
	return false
}
