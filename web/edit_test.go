package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// adminPermission is whether the viewer may administer the project under test.
type adminPermission int

const (
	administers adminPermission = iota
	mayNotAdminister
)

func TestEditViewSavesConfiguration(t *testing.T) {
	site := newFixtureSite(t)
	b := newBrowser(t)
	checkEditView(t, b, site.URL(), fixtureProjectEE, administers)

	t.Run("settings change without permission", func(t *testing.T) {
		b := b.forTest(t)
		site.mu.Lock()
		site.denySettings = true
		site.mu.Unlock()
		b.expectConsoleError(`status of 403`)
		b.do("save the project settings without permission",
			chromedp.Navigate(site.URL()+"/?view=edit"),
			chromedp.WaitVisible(chromedp.CSS(`#settings-controls`)),
			chromedp.Click(chromedp.CSS(`#save-settings`)),
			chromedp.WaitVisible(chromedp.CSS(`#settings-error`)),
		)
		message := evaluate[string](b, "read the settings error", `document.querySelector('#settings-error').textContent`)
		assert.Contains(t, message, "Administer Projects", "the message names the missing permission")
		b.screenshot("09-settings-forbidden")
	})
}

func TestEditViewWithoutMetadata(t *testing.T) {
	site := newFixtureSite(t)
	site.mu.Lock()
	site.noMetadata = true
	site.mu.Unlock()
	b := newBrowser(t)
	b.expectConsoleError(`status of 404`)
	b.do("type deployed statuses and incident types as text",
		chromedp.Navigate(site.URL()+"/?view=edit"),
		setLocalConfiguration(gadgetConfiguration(fixtureProjectEE)),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#settings-controls`)),
		chromedp.Click(chromedp.CSS(`#source-status`)),
		chromedp.SetValue(chromedp.CSS(`#deployed-statuses-text`), "10001, 10002"),
		chromedp.SetValue(chromedp.CSS(`#incident-types-text`), "Bug, Outage"),
		chromedp.Click(chromedp.CSS(`#save-settings`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#settings-status').textContent.startsWith('Project settings saved')`),
	)
	b.screenshot("01-typed-settings")

	site.mu.Lock()
	saved := site.settings[fixtureProjectEE]
	site.mu.Unlock()
	assert.Equal(t, []string{"10001", "10002"}, saved.DeployedStatuses, "deployed statuses")
	assert.Equal(t, []string{"Bug", "Outage"}, saved.IncidentTypes, "incident types")
}

// checkEditView walks through the edit view as a person would: the dev server's gadget without
// a saved configuration, the validation messages, saving the gadget's choices and the project
// settings, and a reload that shows them again. When the viewer may not administer the project,
// saving its settings must show a message that names the missing permission instead.
func checkEditView(t *testing.T, b *browser, base, projectID string, permission adminPermission) {
	t.Helper()
	b.do("open the gadget without a saved configuration",
		chromedp.Navigate(base+"/"),
		chromedp.Evaluate[chromedp.Void](`localStorage.clear()`),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#default-note`)),
		chromedp.WaitVisible(chromedp.CSS(`#metric-panel`)),
		waitSettled(),
	)
	note := evaluate[string](b, "read the default note", `document.querySelector('#default-note').textContent`)
	assert.Contains(t, note, "first project you can browse", "the gadget says why it shows this project")
	windowDays := evaluate[string](b, "read the window", `document.querySelector('#window-text').textContent`)
	assert.NotEmpty(t, windowDays, "the default window is shown")
	b.screenshot("01-first-project")

	b.do("open the edit view",
		chromedp.Click(chromedp.CSS(`#edit`)),
		chromedp.WaitVisible(chromedp.CSS(`#project-`+projectID)),
	)
	b.screenshot("02-edit-empty")
	b.checkAccessibleNames("the edit view")

	b.do("save with no project",
		chromedp.Click(chromedp.CSS(`#save`)),
		chromedp.WaitVisible(chromedp.CSS(`#error-summary`)),
	)
	summary := evaluate[string](b, "read the error summary", `document.querySelector('#error-summary').textContent`)
	assert.Contains(t, summary, "Choose at least one project.", "missing project")
	focused := evaluate[string](b, "read the focused element", `document.activeElement.id`)
	assert.Equal(t, "error-summary", focused, "focus moves to the error summary")
	b.screenshot("03-edit-no-project")

	b.do("enter dates in the wrong order",
		chromedp.Click(chromedp.CSS(`#project-`+projectID)),
		chromedp.SetValue(chromedp.CSS(`#window`), "custom"),
		chromedp.WaitVisible(chromedp.CSS(`#first-day`)),
		chromedp.SetValue(chromedp.CSS(`#first-day`), "2020-07-31"),
		chromedp.SetValue(chromedp.CSS(`#last-day`), "2020-06-01"),
		chromedp.Click(chromedp.CSS(`#save`)),
		chromedp.WaitVisible(chromedp.CSS(`#last-day-error`)),
	)
	dateError := evaluate[string](b, "read the date error", `document.querySelector('#last-day-error').textContent`)
	assert.Contains(t, dateError, "is before the first day", "dates in the wrong order")
	invalid := evaluate[string](b, "read aria-invalid", `document.querySelector('#last-day').getAttribute('aria-invalid')`)
	assert.Equal(t, "true", invalid, "the bad field is marked for screen readers")
	b.screenshot("04-edit-bad-dates")

	b.do("save a valid configuration",
		chromedp.SetValue(chromedp.CSS(`#first-day`), "2020-06-01"),
		chromedp.SetValue(chromedp.CSS(`#last-day`), "2020-07-31"),
		chromedp.SetValue(chromedp.CSS(`#metric`), "leadTimeForChanges"),
		chromedp.Click(chromedp.CSS(`#save`)),
		chromedp.WaitVisible(chromedp.CSS(`#metric-panel[data-metric="leadTimeForChanges"]`)),
		waitSettled(),
	)
	windowText := evaluate[string](b, "read the window", `document.querySelector('#window-text').textContent`)
	assert.Contains(t, windowText, "1 Jun – 31 Jul 2020", "the gadget shows the saved window")
	b.screenshot("05-saved-gadget")

	b.do("reopen the edit view after a reload",
		chromedp.Navigate(base+"/?view=edit"),
		chromedp.WaitVisible(chromedp.CSS(`#project-`+projectID)),
		chromedp.WaitVisible(chromedp.CSS(`#settings-controls`)),
	)
	type shownForm struct {
		Checked  bool   `json:"checked"`
		Window   string `json:"window"`
		FirstDay string `json:"firstDay"`
		LastDay  string `json:"lastDay"`
		Metric   string `json:"metric"`
	}
	form := evaluate[shownForm](b, "read the edit form", `({
  checked: document.querySelector('#project-`+projectID+`').checked,
  window: document.querySelector('#window').value,
  firstDay: document.querySelector('#first-day').value,
  lastDay: document.querySelector('#last-day').value,
  metric: document.querySelector('#metric').value,
})`)
	assert.True(t, form.Checked, "project stays chosen")
	assert.Equal(t, "custom", form.Window, "window kind")
	assert.Equal(t, "2020-06-01", form.FirstDay, "first day")
	assert.Equal(t, "2020-07-31", form.LastDay, "last day, included")
	assert.Equal(t, "leadTimeForChanges", form.Metric, "metric shown first")
	b.screenshot("06-edit-reloaded")

	b.do("choose the status source without statuses and a bad time zone",
		chromedp.Click(chromedp.CSS(`#source-status`)),
		chromedp.WaitVisible(chromedp.CSS(`#deployed-statuses input[type=checkbox]`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#deployed-statuses input:checked').forEach((input) => input.click())`),
		chromedp.SetValue(chromedp.CSS(`#time-zone`), "Mars/Olympus"),
		chromedp.Click(chromedp.CSS(`#save-settings`)),
		chromedp.WaitVisible(chromedp.CSS(`#deployed-statuses-error`)),
	)
	statusesError := evaluate[string](b, "read the statuses error", `document.querySelector('#deployed-statuses-error').textContent`)
	assert.Contains(t, statusesError, "Choose at least one deployed status", "missing deployed statuses")
	zoneError := evaluate[string](b, "read the time zone error", `document.querySelector('#time-zone-error').textContent`)
	assert.Contains(t, zoneError, `"Mars/Olympus" is not a time zone`, "the message quotes the bad time zone")
	b.screenshot("07-settings-invalid")

	// A done status is the usual deployed status; the test takes the first one the project has.
	statusID := evaluate[string](b, "choose a done status", `(() => {
  const input = document.querySelector('#deployed-statuses input[data-category="done"]');
  input.click();
  return input.value;
})()`)
	b.do("enter valid project settings",
		chromedp.SetValue(chromedp.CSS(`#time-zone`), "Europe/Berlin"),
		chromedp.Click(chromedp.CSS(`#start-created`)),
		chromedp.Click(chromedp.CSS(`#recovery-deployment`)),
		chromedp.Click(chromedp.CSS(`#include-subtasks`)),
	)
	if permission == administers {
		// The pattern is Go RE2 syntax, which the page leaves to the server: a pattern the
		// server rejects must show its message.
		b.expectConsoleError(`status of 400`)
		b.do("save a pattern the server rejects",
			chromedp.SetValue(chromedp.CSS(`#rework-pattern`), "hotfix-(["),
			chromedp.Click(chromedp.CSS(`#save-settings`)),
			chromedp.WaitVisible(chromedp.CSS(`#settings-error`)),
		)
		serverMessage := evaluate[string](b, "read the server's message", `document.querySelector('#settings-error').textContent`)
		assert.Contains(t, serverMessage, "hotfix-([", "the server's message quotes the pattern")
		b.screenshot("08-settings-rejected-by-server")
	} else {
		b.expectConsoleError(`status of 403`)
	}
	// A named group in the Go form, which JavaScript's regular expressions reject.
	b.do("save the project settings",
		chromedp.SetValue(chromedp.CSS(`#rework-pattern`), "(?P<x>hotfix)"),
		chromedp.Click(chromedp.CSS(`#save-settings`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#settings-status').textContent.startsWith('Project settings saved') || (!document.querySelector('#settings-error').hidden && !document.querySelector('#settings-error').textContent.includes('hotfix-(['))`),
	)
	saved := evaluate[bool](b, "read the save outcome", `document.querySelector('#settings-status').textContent.startsWith('Project settings saved')`)
	switch permission {
	case administers:
		require.True(t, saved, "an administrator saves the project settings: %s", evaluate[string](b, "read the settings error", `document.querySelector('#settings-error').textContent`))
	case mayNotAdminister:
		require.False(t, saved, "a viewer who may not administer the project cannot save")
	}
	if !saved {
		message := evaluate[string](b, "read the settings error", `document.querySelector('#settings-error').textContent`)
		assert.Contains(t, message, "Administer Projects", "the message names the missing permission")
		b.screenshot("09-settings-forbidden")
		return
	}
	b.do("reload the edit view",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#settings-controls`)),
	)
	type shownSettings struct {
		Status   bool     `json:"status"`
		Statuses []string `json:"statuses"`
		Created  bool     `json:"created"`
		Recovery bool     `json:"recovery"`
		Subtasks bool     `json:"subtasks"`
		Epics    bool     `json:"epics"`
		Pattern  string   `json:"pattern"`
		TimeZone string   `json:"timeZone"`
	}
	settings := evaluate[shownSettings](b, "read the project settings", `({
  status: document.querySelector('#source-status').checked,
  statuses: [...document.querySelectorAll('#deployed-statuses input:checked')].map((input) => input.value),
  created: document.querySelector('#start-created').checked,
  recovery: document.querySelector('#recovery-deployment').checked,
  subtasks: document.querySelector('#include-subtasks').checked,
  epics: document.querySelector('#include-epics').checked,
  pattern: document.querySelector('#rework-pattern').value,
  timeZone: document.querySelector('#time-zone').value,
})`)
	require.True(t, settings.Status, "deployment source stays status")
	assert.Equal(t, []string{statusID}, settings.Statuses, "deployed statuses")
	assert.True(t, settings.Created, "lead time starts at creation")
	assert.True(t, settings.Recovery, "recovery starts at the deployment")
	assert.True(t, settings.Subtasks, "sub-tasks count as changes")
	assert.False(t, settings.Epics, "epics stay out")
	assert.Equal(t, "(?P<x>hotfix)", settings.Pattern, "rework pattern")
	assert.Equal(t, "Europe/Berlin", settings.TimeZone, "time zone")
	b.screenshot("08-settings-saved")
}
