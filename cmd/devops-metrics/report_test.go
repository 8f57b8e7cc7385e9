package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/samplesite"
)

// runCommand runs the program with args and returns its output and error.
func runCommand(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(string) string { return "" }
	err = run(context.Background(), args, getenv, &out, &errOut)
	return out.String(), errOut.String(), err
}

// exitCode returns the status main would exit with for err.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var exit *exitError
	if errors.As(err, &exit) {
		return exit.code
	}
	return 1
}

// writeSnapshot writes a small snapshot folder; files override the defaults by name.
func writeSnapshot(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{
		"projects.json":   `[{"id":"1","key":"ABC","name":"Alpha"},{"id":"2","key":"XYZ","name":"Omega"}]`,
		"versions.json":   `[{"id":"10","name":"1.0","projectId":1,"released":true,"releaseDate":"2020-06-10"}]`,
		"statuses.json":   `[{"id":"1","statusCategory":{"key":"new"}},{"id":"3","statusCategory":{"key":"indeterminate"}},{"id":"6","statusCategory":{"key":"done"}}]`,
		"issuetypes.json": `[{"id":"5","untranslatedName":"Story","hierarchyLevel":0},{"id":"6","untranslatedName":"Bug","hierarchyLevel":0}]`,
		"issues.json": `[{"id":"100","key":"ABC-1","fields":{"project":{"id":"1"},"issuetype":{"id":"5"},"status":{"id":"6"},
			"created":"2020-06-01T10:00:00.000+0000","resolutiondate":"2020-06-05T10:00:00.000+0000","fixVersions":[{"id":"10"}]},
			"changelog":{"histories":[{"id":"1","created":"2020-06-02T10:00:00.000+0000","items":[{"field":"status","from":"1","to":"3"}]}]}}]`,
	}
	for name, content := range files {
		all[name] = content
	}
	for name, content := range all {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

func TestReportSampleSiteJSON(t *testing.T) {
	dir := samplesite.Dir(t)
	stdout, _, err := runCommand(t, "report", "--snapshot", dir, "--project", "EE",
		"--from", "2020-06-01", "--to", "2020-08-01", "--time-zone", "Asia/Shanghai", "--format", "json")
	require.NoError(t, err)

	var report struct {
		DeploymentFrequency struct {
			Count          int    `json:"count"`
			DeploymentDays int    `json:"deploymentDays"`
			Level          string `json:"level"`
		} `json:"deploymentFrequency"`
		LeadTimeForChanges struct {
			Count       int     `json:"count"`
			MedianHours float64 `json:"medianHours"`
			Level       string  `json:"level"`
		} `json:"leadTimeForChanges"`
		ChangeFailureRate struct {
			Deployments       int    `json:"deployments"`
			FailedDeployments int    `json:"failedDeployments"`
			Level             string `json:"level"`
		} `json:"changeFailureRate"`
		FailedDeploymentRecoveryTime struct {
			Count       int     `json:"count"`
			MedianHours float64 `json:"medianHours"`
			Level       string  `json:"level"`
		} `json:"failedDeploymentRecoveryTime"`
		ReworkRate struct {
			Deployments       int `json:"deployments"`
			ReworkDeployments int `json:"reworkDeployments"`
		} `json:"reworkRate"`
		DataQuality struct {
			StartedAtCreated  int `json:"startedAtCreated"`
			NegativeDurations int `json:"negativeDurations"`
			UnknownStatuses   int `json:"unknownStatuses"`
		} `json:"dataQuality"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &report))

	assert.Equal(t, 3, report.DeploymentFrequency.Count)
	assert.Equal(t, 3, report.DeploymentFrequency.DeploymentDays)
	assert.Equal(t, "medium", report.DeploymentFrequency.Level)
	assert.Equal(t, 13, report.LeadTimeForChanges.Count)
	assert.InDelta(t, 687.68, report.LeadTimeForChanges.MedianHours, 0.01)
	assert.Equal(t, "medium", report.LeadTimeForChanges.Level)
	assert.Equal(t, 3, report.ChangeFailureRate.Deployments)
	assert.Equal(t, 1, report.ChangeFailureRate.FailedDeployments)
	assert.Equal(t, "low", report.ChangeFailureRate.Level)
	assert.Equal(t, 1, report.FailedDeploymentRecoveryTime.Count)
	assert.InDelta(t, 80.57, report.FailedDeploymentRecoveryTime.MedianHours, 0.01)
	assert.Equal(t, "medium", report.FailedDeploymentRecoveryTime.Level)
	assert.Equal(t, 3, report.ReworkRate.Deployments)
	assert.Equal(t, 0, report.ReworkRate.ReworkDeployments)
	assert.Equal(t, 12, report.DataQuality.StartedAtCreated)
	assert.Equal(t, 2, report.DataQuality.NegativeDurations)
	assert.Equal(t, 4, report.DataQuality.UnknownStatuses)
}

func TestReportJSONFieldNames(t *testing.T) {
	stdout, _, err := runCommand(t, "report", "--snapshot", writeSnapshot(t, nil), "--project", "ABC", "--from", "2020-06-01", "--to", "2020-07-01")
	require.NoError(t, err)

	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(stdout), &top))
	fields := func(name string) []string {
		var object map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(top[name], &object), name)
		var keys []string
		for key := range object {
			keys = append(keys, key)
		}
		return keys
	}
	assert.ElementsMatch(t, []string{"project", "window", "computedAt", "deploymentFrequency", "leadTimeForChanges",
		"changeFailureRate", "failedDeploymentRecoveryTime", "reworkRate", "reopenRate", "throughput", "dataQuality"}, keysOf(top))
	assert.ElementsMatch(t, []string{"id", "key", "name"}, fields("project"))
	assert.ElementsMatch(t, []string{"from", "to", "timeZone"}, fields("window"))
	assert.ElementsMatch(t, []string{"count", "perWeek", "deploymentDays", "level", "series"}, fields("deploymentFrequency"))
	assert.ElementsMatch(t, []string{"count", "medianHours", "p75Hours", "p90Hours", "level", "series"}, fields("leadTimeForChanges"))
	assert.ElementsMatch(t, []string{"deployments", "failedDeployments", "rate", "level", "series"}, fields("changeFailureRate"))
	assert.Subset(t, fields("failedDeploymentRecoveryTime"), []string{"count", "medianHours", "p75Hours", "p90Hours", "openIncidents", "level", "series"})
	assert.ElementsMatch(t, []string{"deployments", "reworkDeployments", "rate"}, fields("reworkRate"))
	assert.Subset(t, fields("dataQuality"), []string{"startedAtCreated", "notDone", "negativeDurations", "versionsWithoutReleaseDate", "unknownStatuses"})
}

func keysOf(m map[string]json.RawMessage) []string {
	var keys []string
	for key := range m {
		keys = append(keys, key)
	}
	return keys
}

func TestReportTable(t *testing.T) {
	stdout, _, err := runCommand(t, "report", "--snapshot", writeSnapshot(t, nil), "--project", "ABC",
		"--from", "2020-06-01", "--to", "2020-07-01", "--format", "table")
	require.NoError(t, err)
	assert.Contains(t, stdout, "Project ABC (Alpha)")
	assert.Contains(t, stdout, "Deployment frequency")
	assert.Contains(t, stdout, "Lead time for changes")
	assert.Contains(t, stdout, "median 206.00 h")
	assert.Contains(t, stdout, "Change failure rate")
	assert.Contains(t, stdout, "Failed deployment recovery time")
	assert.Contains(t, stdout, "Deployment rework rate")
	assert.Contains(t, stdout, "Data quality")
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "Lead time for changes") {
			assert.True(t, strings.HasSuffix(strings.TrimSpace(line), "medium"), "lead time row ends with its level: %q", line)
		}
	}
}

func TestReportTimeZoneOverridesSite(t *testing.T) {
	dir := writeSnapshot(t, map[string]string{"site.json": `{"timeZone":"Europe/Berlin"}`})
	timeZoneOf := func(args ...string) string {
		stdout, _, err := runCommand(t, append([]string{"report", "--snapshot", dir, "--project", "ABC", "--window", "30d"}, args...)...)
		require.NoError(t, err)
		var report struct {
			Window struct {
				From, To, TimeZone string
			} `json:"window"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &report))
		return report.Window.TimeZone
	}
	assert.Equal(t, "Europe/Berlin", timeZoneOf(), "site.json sets the default")
	assert.Equal(t, "Asia/Tokyo", timeZoneOf("--time-zone", "Asia/Tokyo"), "the flag wins")

	config := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(config, []byte(`{"timeZone":"America/New_York"}`), 0o644))
	assert.Equal(t, "America/New_York", timeZoneOf("--config", config), "the config file wins over site.json")
	assert.Equal(t, "Asia/Tokyo", timeZoneOf("--config", config, "--time-zone", "Asia/Tokyo"), "the flag wins over the config file")
}

func TestReportBadInputExitsTwo(t *testing.T) {
	good := writeSnapshot(t, nil)
	broken := writeSnapshot(t, map[string]string{"versions.json": `[{"id":"10",]`})
	configDir := t.TempDir()
	writeConfig := func(name, content string) string {
		path := filepath.Join(configDir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		return path
	}
	typo := writeConfig("typo.json", `{"deploymentSourc":"status"}`)
	invalid := writeConfig("invalid.json", `{"leadTimeStart":"firstCommit"}`)
	jql := writeConfig("jql.json", `{"incidentJql":"priority = High"}`)
	noSuchType := writeConfig("nosuchtype.json", `{"incidentTypes":["NoSuchType"]}`)
	noSuchStatus := writeConfig("nosuchstatus.json", `{"deploymentSource":"status","deployedStatuses":["6","99"]}`)
	truncated := writeConfig("truncated.json", `{"timeZone":"UTC",`)
	badSyntax := writeConfig("syntax.json", `{"timeZone": UTC}`)
	empty := writeConfig("empty.json", "  \n")
	twoObjects := writeConfig("two.json", `{"timeZone":"UTC"} {"timeZone":"UTC"}`)

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown flag", []string{"--colour"}, []string{"-colour", "report -h"}},
		{"missing project", []string{"--snapshot", good}, []string{"missing --project"}},
		{"missing snapshot", []string{"--project", "ABC"}, []string{"missing --snapshot"}},
		{"snapshot and jira url", []string{"--snapshot", good, "--jira-url", "http://127.0.0.1:1", "--project", "ABC"}, []string{"use one of them"}},
		{"from without to", []string{"--snapshot", good, "--project", "ABC", "--from", "2020-06-01"}, []string{"--from and --to go together"}},
		{"window with dates", []string{"--snapshot", good, "--project", "ABC", "--from", "2020-06-01", "--to", "2020-07-01", "--window", "7d"}, []string{"cannot be combined"}},
		{"bad date", []string{"--snapshot", good, "--project", "ABC", "--from", "2020-6-1", "--to", "2020-07-01"}, []string{`"2020-6-1"`, "YYYY-MM-DD"}},
		{"from after to", []string{"--snapshot", good, "--project", "ABC", "--from", "2020-07-01", "--to", "2020-06-01"}, []string{"is not before"}},
		{"bad window", []string{"--snapshot", good, "--project", "ABC", "--window", "3 months"}, []string{`"3 months"`, "90d"}},
		{"bad format", []string{"--snapshot", good, "--project", "ABC", "--format", "xml"}, []string{`"xml"`, "json or table"}},
		{"bad time zone", []string{"--snapshot", good, "--project", "ABC", "--time-zone", "Mars/Base"}, []string{`"Mars/Base"`, "IANA"}},
		{"unknown project lists keys", []string{"--snapshot", good, "--project", "NOPE"}, []string{`"NOPE"`, "ABC, XYZ"}},
		{"unreadable snapshot names file and offset", []string{"--snapshot", broken, "--project", "ABC"}, []string{"versions.json", "byte offset 13"}},
		{"missing snapshot folder", []string{"--snapshot", filepath.Join(configDir, "absent"), "--project", "ABC"}, []string{"absent does not exist", "projects.json"}},
		{"folder that is no snapshot", []string{"--snapshot", configDir, "--project", "ABC"}, []string{"is not a snapshot folder", "projects.json"}},
		{"unknown incident type", []string{"--snapshot", good, "--project", "ABC", "--config", noSuchType}, []string{`"NoSuchType"`, "use one of Bug, Story"}},
		{"unknown deployed status", []string{"--snapshot", good, "--project", "ABC", "--config", noSuchStatus}, []string{`"99"`, "use one of 1, 3, 6"}},
		{"truncated config", []string{"--snapshot", good, "--project", "ABC", "--config", truncated}, []string{"truncated.json", "ends early at byte 18"}},
		{"config syntax error", []string{"--snapshot", good, "--project", "ABC", "--config", badSyntax}, []string{"syntax.json", "at byte offset 14"}},
		{"empty config", []string{"--snapshot", good, "--project", "ABC", "--config", empty}, []string{"empty.json", "is empty"}},
		{"config with two objects", []string{"--snapshot", good, "--project", "ABC", "--config", twoObjects}, []string{"two.json", "after the settings object at byte offset 19"}},
		{"unknown config setting", []string{"--snapshot", good, "--project", "ABC", "--config", typo}, []string{"typo.json", "deploymentSourc"}},
		{"invalid config value", []string{"--snapshot", good, "--project", "ABC", "--config", invalid}, []string{"leadTimeStart", "firstCommit"}},
		{"incident JQL offline", []string{"--snapshot", good, "--project", "ABC", "--config", jql}, []string{"incidentJql", "offline"}},
		{"extra argument", []string{"--snapshot", good, "--project", "ABC", "extra"}, []string{`"extra"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := runCommand(t, append([]string{"report"}, tt.args...)...)
			require.Error(t, err)
			assert.Equal(t, 2, exitCode(err))
			assert.Empty(t, stdout)
			message := err.Error()
			assert.NotContains(t, message, "\n", "the message is one line")
			assert.True(t, strings.HasPrefix(message, "report: "), "every report error starts with report: but got %q", message)
			for _, want := range tt.want {
				assert.Contains(t, message, want)
			}
		})
	}
}

func TestReportHelp(t *testing.T) {
	stdout, _, err := runCommand(t, "report", "-h")
	require.NoError(t, err)
	assert.Contains(t, stdout, "--snapshot DIR --project KEY")
	assert.Contains(t, stdout, "-time-zone")
}

func TestReportProjectByKeyInAnyCaseOrID(t *testing.T) {
	dir := writeSnapshot(t, nil)
	report := func(project string) map[string]any {
		stdout, _, err := runCommand(t, "report", "--snapshot", dir, "--project", project, "--from", "2020-06-01", "--to", "2020-07-01")
		require.NoError(t, err, "--project %s", project)
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &got))
		delete(got, "computedAt")
		return got
	}
	want := report("ABC")

	for _, project := range []string{"abc", "Abc", "1"} {
		t.Run(project, func(t *testing.T) {
			assert.Equal(t, want, report(project))
		})
	}
}

func TestReportAcceptsKnownIncidentType(t *testing.T) {
	dir := writeSnapshot(t, nil)
	config := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(config, []byte(`{"incidentTypes":["bug","5"]}`), 0o644))

	_, _, err := runCommand(t, "report", "--snapshot", dir, "--project", "ABC", "--config", config)

	assert.NoError(t, err)
}
