package snapshot

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/samplesite"
)

// TestSampleSiteExpectedValues checks the report of project EE from 2020-06-01 to 2020-08-01
// in Asia/Shanghai against values worked out by hand from the metric definitions.
func TestSampleSiteExpectedValues(t *testing.T) {
	site, err := Load(samplesite.Dir(t))
	require.NoError(t, err)
	data, err := site.ProjectData("EE")
	require.NoError(t, err)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	w := dora.Window{From: dora.Date{Year: 2020, Month: 6, Day: 1}, To: dora.Date{Year: 2020, Month: 8, Day: 1}, Location: shanghai}

	report, evidence, err := dora.Compute(data, dora.Config{TimeZone: "Asia/Shanghai"}, w, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)

	df := report.DeploymentFrequency
	assert.Equal(t, 3, df.Count, "deployments")
	assert.Equal(t, 3, df.DeploymentDays, "deployment days")
	assert.Equal(t, dora.LevelMedium, df.Level, "deployment frequency level")

	lt := report.LeadTimeForChanges
	assert.Equal(t, 13, lt.Count, "changes")
	require.NotNil(t, lt.MedianHours)
	assert.InDelta(t, 687.68, *lt.MedianHours, 0.01, "median lead time")
	assert.Equal(t, dora.LevelMedium, lt.Level, "lead time level")

	cfr := report.ChangeFailureRate
	assert.Equal(t, 3, cfr.Deployments)
	assert.Equal(t, 1, cfr.FailedDeployments)
	assert.Equal(t, dora.LevelLow, cfr.Level, "change failure rate level")

	rec := report.FailedDeploymentRecoveryTime
	assert.Equal(t, 1, rec.Count, "recoveries")
	require.NotNil(t, rec.MedianHours)
	assert.InDelta(t, 80.57, *rec.MedianHours, 0.01, "median recovery time")
	assert.Equal(t, dora.LevelMedium, rec.Level, "recovery level")

	assert.Equal(t, 3, report.ReworkRate.Deployments)
	assert.Equal(t, 0, report.ReworkRate.ReworkDeployments)

	dq := report.DataQuality
	assert.Equal(t, 12, dq.StartedAtCreated, "startedAtCreated")
	assert.Equal(t, 2, dq.NegativeDurations, "negativeDurations")
	assert.Equal(t, 4, dq.UnknownStatuses, "unknownStatuses")

	assert.Len(t, evidence.Deployments, 3)
	assert.Len(t, evidence.Changes, 13)
	assert.Len(t, evidence.Recoveries, 1)
}

// writeSite writes a snapshot folder with the given files over a minimal valid site.
func writeSite(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	base := map[string]string{
		"projects.json":   `[{"id":"10003","key":"EE","name":"Enterprise","projectTypeKey":"software","avatarUrls":{}}]`,
		"versions.json":   `[{"id":"1","name":"v1","projectId":10003,"released":true,"releaseDate":"2020-06-10"},{"id":"2","name":"v2","projectId":10004,"released":true,"releaseDate":1593475200000}]`,
		"statuses.json":   `[{"id":"1","name":"Open","statusCategory":{"key":"new"}},{"id":"3","name":"Doing","statusCategory":{"key":"indeterminate"}},{"id":"10068","name":"Fertig","statusCategory":{"key":"done"}},{"id":"77","name":"Team","statusCategory":{"key":"done"},"scope":{"type":"PROJECT","project":{"id":"10004"}}}]`,
		"issuetypes.json": `[{"id":"10001","name":"故事","untranslatedName":"Story","subtask":false,"hierarchyLevel":0}]`,
		"issues.json":     `[]`,
	}
	for name, content := range files {
		base[name] = content
	}
	for name, content := range base {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	return dir
}

func TestLoadErrorsNameFileAndOffset(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"syntax error", map[string]string{"versions.json": `[{"id":"1",}]`}, []string{"versions.json", "byte offset 12"}},
		{"wrong type inside an item", map[string]string{"issues.json": `[{"id":"1"}, {"id": 5}]`}, []string{"issues.json", "byte offset 21"}},
		{"not an array", map[string]string{"projects.json": `{"id":"1"}`}, []string{"projects.json", "byte offset"}},
		{"bad release date", map[string]string{"versions.json": `[{"id":"1","releaseDate":"10.06.2020"}]`}, []string{"versions.json", "release date"}},
		{"bad changelog", map[string]string{"changelogs/5.json": `{"issueId":"5","histories":[{"created":"noon"}]}`}, []string{"5.json", "invalid Jira timestamp"}},
		{"changelog for another issue", map[string]string{"changelogs/5.json": `{"issueId":"6","histories":[]}`}, []string{"5.json", "does not match"}},
		{"bad site time zone", map[string]string{"site.json": `{"timeZone":"Moon/Base"}`}, []string{"site.json", "Moon/Base"}},
		{"bad permissions", map[string]string{"permissions.json": `{"acc":"all"}`}, []string{"permissions.json", "byte offset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeSite(t, tt.files))
			require.Error(t, err)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
		})
	}

	t.Run("missing required file", func(t *testing.T) {
		dir := writeSite(t, nil)
		require.NoError(t, os.Remove(filepath.Join(dir, "statuses.json")))
		_, err := Load(dir)
		assert.ErrorContains(t, err, "statuses.json")
	})
}

func TestLoadExplainsMissingFolder(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "projects.json")
	require.NoError(t, os.WriteFile(file, []byte("[]"), 0o644))
	tests := []struct {
		name string
		dir  string
		want string
	}{
		{"absent folder", filepath.Join(parent, "absent"), "does not exist"},
		{"file in place of a folder", file, "is a file, not a folder"},
		{"folder without snapshot files", parent, "is not a snapshot folder: it has no versions.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.dir)

			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.dir)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), requiredFiles, "the message lists what a snapshot folder contains")
			assert.NotContains(t, err.Error(), "no such file or directory")
		})
	}
}

func TestUnknownProjectListsKeys(t *testing.T) {
	site, err := Load(writeSite(t, nil))
	require.NoError(t, err)
	_, err = site.ProjectData("XX")
	require.ErrorIs(t, err, ErrUnknownProject)
	assert.Contains(t, err.Error(), `"XX"`)
	assert.Contains(t, err.Error(), "EE")
}

func TestProjectDataMatchesStatusesByID(t *testing.T) {
	// The issue embeds a stale "new" category for status 10068 and its history names the
	// statuses differently from the status list; only the ids and the list's categories count.
	issue := `[{"id":"500","key":"EE-1","fields":{"project":{"id":"10003","key":"EE"},
		"issuetype":{"id":"10001","name":"故事"},
		"status":{"id":"10068","name":"已完成","statusCategory":{"key":"new"}},
		"created":"2020-06-01T08:00:00.000+0800","resolutiondate":null,
		"fixVersions":[{"id":"1","name":"v1"}],"versions":[]},
		"changelog":{"total":1,"histories":[
			{"id":"9","created":"2020-06-03T08:00:00.000+0800","items":[{"field":"status","fieldId":"status","from":"1","fromString":"Offen","to":"3","toString":"In Arbeit"}]}]}}]`
	changelog := `{"issueId":"500","histories":[
		{"id":"8","created":"2020-06-02T08:00:00.000+0800","items":[{"field":"status","fieldId":"status","from":"1","fromString":"Neu","to":"3","toString":"Doing"}]},
		{"id":"10","created":"2020-06-05T08:00:00.000+0800","items":[{"field":"status","fieldId":"status","from":"3","fromString":"Doing","to":"10068","toString":"Erledigt"}]}]}`
	site, err := Load(writeSite(t, map[string]string{"issues.json": issue, "changelogs/500.json": changelog}))
	require.NoError(t, err)

	data, err := site.ProjectData("EE")
	require.NoError(t, err)

	require.Len(t, data.Issues, 1)
	assert.Len(t, data.Issues[0].Transitions, 2, "changelogs/500.json wins over the embedded history")
	assert.Equal(t, dora.CategoryDone, data.Statuses["10068"])
	assert.NotContains(t, data.Statuses, "77", "statuses scoped to another project are left out")
	require.Len(t, data.Versions, 1, "only the project's own versions")
	assert.Equal(t, "2020-06-10", data.Versions[0].ReleaseDate.String())

	report, _, err := dora.Compute(data, dora.Config{}, dora.Window{From: dora.Date{Year: 2020, Month: 6, Day: 1}, To: dora.Date{Year: 2020, Month: 7, Day: 1}}, time.Now())
	require.NoError(t, err)
	assert.Equal(t, 1, report.LeadTimeForChanges.Count)
	require.NotNil(t, report.ReopenRate)
	assert.Equal(t, 1, report.DeploymentFrequency.Count)
}

func TestSiteFileAndPermissions(t *testing.T) {
	site, err := Load(writeSite(t, map[string]string{
		"site.json":        `{"timeZone":"Europe/Berlin","serverTime":"2020-06-01T00:00:00.000+0200"}`,
		"permissions.json": `{"acc-1":[10003],"acc-2":["10004"]}`,
	}))
	require.NoError(t, err)
	assert.Equal(t, "Europe/Berlin", site.TimeZone)
	assert.True(t, site.CanBrowse("acc-1", "10003"))
	assert.False(t, site.CanBrowse("acc-2", "10003"))
	assert.False(t, site.CanBrowse("stranger", "10003"))

	data, err := site.ProjectData("EE")
	require.NoError(t, err)
	assert.Equal(t, "Europe/Berlin", data.SiteTimeZone)

	open, err := Load(writeSite(t, nil))
	require.NoError(t, err)
	assert.True(t, open.CanBrowse("anyone", "10003"), "without permissions.json everyone may browse")
}

func TestRawItemsKept(t *testing.T) {
	site, err := Load(writeSite(t, map[string]string{
		"issues.json": `[{"id":"500","key":"EE-1","fields":{"project":{"id":"10003"},"customfield_1":{"x":1}}}]`,
	}))
	require.NoError(t, err)
	require.Len(t, site.RawIssues, 1)
	assert.Contains(t, string(site.RawIssues[0]), "customfield_1")
	assert.Contains(t, string(site.RawProjects[0]), "avatarUrls")
	assert.Len(t, site.RawVersions, len(site.Versions))
}

func TestReleaseDateBothForms(t *testing.T) {
	site, err := Load(writeSite(t, nil))
	require.NoError(t, err)
	require.Len(t, site.Versions, 2)
	assert.Equal(t, "2020-06-10", dora.Date(site.Versions[0].ReleaseDate).String(), "date string")
	assert.Equal(t, "2020-06-30", dora.Date(site.Versions[1].ReleaseDate).String(), "epoch milliseconds")
}

func TestIncidentTypeByUntranslatedName(t *testing.T) {
	// Issues embed their type with the site's Chinese name and no untranslatedName; the
	// site's issue type list supplies the English name that marks the type as an incident.
	issues := `[{"id":"600","key":"EE-2","fields":{"project":{"id":"10003"},
		"issuetype":{"id":"10004","name":"缺陷","subtask":false},"status":{"id":"1"},
		"created":"2020-06-12T08:00:00.000+0800","fixVersions":[],"versions":[{"id":"1","name":"v1"}]}}]`
	types := `[{"id":"10004","name":"缺陷","untranslatedName":"Bug","subtask":false,"hierarchyLevel":0}]`
	site, err := Load(writeSite(t, map[string]string{"issues.json": issues, "issuetypes.json": types}))
	require.NoError(t, err)
	data, err := site.ProjectData("EE")
	require.NoError(t, err)

	report, evidence, err := dora.Compute(data, dora.Config{}, dora.Window{From: dora.Date{Year: 2020, Month: 6, Day: 1}, To: dora.Date{Year: 2020, Month: 7, Day: 1}}, time.Now())
	require.NoError(t, err)

	assert.Equal(t, 1, report.ChangeFailureRate.FailedDeployments)
	require.Len(t, evidence.Deployments, 1)
	assert.Equal(t, []string{"EE-2"}, evidence.Deployments[0].IncidentKeys)
}
