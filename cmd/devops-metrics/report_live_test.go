package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
	"github.com/devops-metrics/devops-metrics/internal/samplesite"
	"github.com/devops-metrics/devops-metrics/internal/snapshot"
)

const (
	liveEmail = "report@example.com"
	liveToken = "report-api-token"
)

// serveSite starts the Jira emulator for a snapshot folder on a loopback server.
func serveSite(t *testing.T, dir string) (*jiraemu.Emulator, string) {
	t.Helper()
	site, err := jiraemu.LoadDir(dir)
	require.NoError(t, err)
	emu := jiraemu.New(site, jiraemu.EmulatorOptions{Users: []jiraemu.User{{AccountID: "acc-1", Email: liveEmail, APIToken: liveToken}}})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, srv.URL
}

func liveEnv(name string) string {
	return map[string]string{"JIRA_EMAIL": liveEmail, "JIRA_API_TOKEN": liveToken}[name]
}

// runReportJSON runs the report command and returns its JSON without computedAt.
func runReportJSON(t *testing.T, getenv func(string) string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), append([]string{"report"}, args...), getenv, &stdout, &stderr)
	require.NoError(t, err, "stderr: %s", stderr.String())
	var report map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &report))
	require.Contains(t, report, "computedAt")
	delete(report, "computedAt")
	out, err := json.MarshalIndent(report, "", "  ")
	require.NoError(t, err)
	return string(out)
}

func TestReportLiveEqualsSnapshot(t *testing.T) {
	dir := samplesite.Dir(t)
	snap, err := snapshot.Load(dir)
	require.NoError(t, err)
	emu, url := serveSite(t, dir)
	window := []string{"--from", "2020-01-01", "--to", "2023-01-01", "--format", "json"}

	for _, key := range snap.ProjectKeys() {
		t.Run(key, func(t *testing.T) {
			offline := runReportJSON(t, liveEnv, append([]string{"--snapshot", dir, "--project", key}, window...)...)
			live := runReportJSON(t, liveEnv, append([]string{"--jira-url", url, "--project", key}, window...)...)
			assert.JSONEq(t, offline, live)
		})
	}
	assert.Zero(t, emu.Count("/rest/api/3/issue/*/changelog"), "complete histories come from bulkfetch")
}

func TestReportLiveEqualsSnapshotWithLongHistories(t *testing.T) {
	dir := samplesite.Dir(t)
	site, err := jiraemu.LoadDir(dir)
	require.NoError(t, err)

	// Give one sample issue 60 more status changes before its recorded ones, so the first
	// "In Progress" lies beyond the newest 40 histories that search returns.
	issue := site.Issues[0]
	first := issue.Histories[0].Created.Time
	for k := range 60 {
		from, to := "1", "3"
		if k%2 == 1 {
			from, to = "3", "1"
		}
		issue.Histories = append(issue.Histories, jirajson.History{
			ID:      strconv.Itoa(900000 + k),
			Created: jirajson.Time{Time: first.Add(-time.Duration(60-k) * time.Hour)},
			Items:   []jirajson.HistoryItem{{Field: "status", FieldType: "jira", FieldID: "status", From: from, To: to}},
		})
	}
	longDir := filepath.Join(t.TempDir(), "site")
	require.NoError(t, site.WriteDir(longDir))
	_, url := serveSite(t, longDir)
	window := []string{"--from", "2020-01-01", "--to", "2023-01-01"}

	key := "EE"
	offline := runReportJSON(t, liveEnv, append([]string{"--snapshot", longDir, "--project", key}, window...)...)
	live := runReportJSON(t, liveEnv, append([]string{"--jira-url", url, "--project", key}, window...)...)
	assert.JSONEq(t, offline, live)

	original := runReportJSON(t, liveEnv, append([]string{"--snapshot", dir, "--project", key}, window...)...)
	assert.NotEqual(t, original, offline, "the earlier In Progress changes the lead time")
}

func TestReportLiveNeedsCredentials(t *testing.T) {
	dir := samplesite.Dir(t)
	emu, url := serveSite(t, dir)
	var stdout, stderr bytes.Buffer

	err := run(t.Context(), []string{"report", "--jira-url", url, "--project", "EE"}, func(string) string { return "" }, &stdout, &stderr)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "JIRA_EMAIL and JIRA_API_TOKEN")
	assert.Zero(t, emu.Count(""), "nothing is sent without credentials")
}

func TestReportLiveWrongTokenIsUnauthorized(t *testing.T) {
	dir := samplesite.Dir(t)
	_, url := serveSite(t, dir)
	var stdout, stderr bytes.Buffer
	getenv := func(name string) string {
		return map[string]string{"JIRA_EMAIL": liveEmail, "JIRA_API_TOKEN": "wrong-secret"}[name]
	}

	err := run(t.Context(), []string{"report", "--jira-url", url, "--project", "EE"}, getenv, &stdout, &stderr)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "check JIRA_EMAIL and JIRA_API_TOKEN")
	assert.NotContains(t, err.Error()+stderr.String(), "wrong-secret", "the token is never printed")
}

func TestReportLiveRunsIncidentJQL(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	require.NoError(t, jiraemu.Generate(jiraemu.GenerateOptions{Seed: 21, IssuesPerProject: 400, IncidentPercent: 30}).WriteDir(dir))
	_, url := serveSite(t, dir)
	writeConfig := func(jql string) string {
		path := filepath.Join(t.TempDir(), "config.json")
		raw, err := json.Marshal(map[string]string{"incidentJql": jql})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, raw, 0o644))
		return path
	}
	args := []string{"--jira-url", url, "--project", "GA", "--from", "2025-07-01", "--to", "2026-01-01"}

	plain := runReportJSON(t, liveEnv, args...)
	everyPriority := runReportJSON(t, liveEnv, append(args, "--config", writeConfig("priority in (High, Medium, Low)"))...)
	onlyHigh := runReportJSON(t, liveEnv, append(args, "--config", writeConfig("priority = High"))...)

	assert.JSONEq(t, plain, everyPriority, "a JQL every issue matches changes nothing")
	assert.NotEqual(t, plain, onlyHigh, "a narrower JQL leaves incidents out")

	var stdout, stderr bytes.Buffer
	err := run(t.Context(), append([]string{"report"}, append(args, "--config", writeConfig("summary ~ outage"))...), liveEnv, &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Field 'summary' does not exist")
	assert.Contains(t, err.Error(), "fix the JQL in the config file")
}

func TestReportLiveRefusedConnection(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + listener.Addr().String()
	require.NoError(t, listener.Close()) // nothing listens on the port any more
	var stdout, stderr bytes.Buffer

	err = run(t.Context(), []string{"report", "--jira-url", url, "--project", "EE"}, liveEnv, &stdout, &stderr)

	require.Error(t, err)
	assert.Equal(t, 1, exitCode(err))
	assert.True(t, strings.HasPrefix(err.Error(), "report: cannot connect to Jira at "+url+": "), "got %q", err.Error())
	assert.Contains(t, err.Error(), "connection refused")
	assert.NotContains(t, err.Error(), "rate limiting")
	assert.Equal(t, 2, strings.Count(stderr.String(), `msg="jira request retry"`), "two retries, not the budget for rate limits")
}

func TestReportLiveProjectKeyInLowerCase(t *testing.T) {
	dir := samplesite.Dir(t)
	_, url := serveSite(t, dir)
	window := []string{"--from", "2020-06-01", "--to", "2020-08-01"}

	upper := runReportJSON(t, liveEnv, append([]string{"--jira-url", url, "--project", "EE"}, window...)...)
	lower := runReportJSON(t, liveEnv, append([]string{"--jira-url", url, "--project", "ee"}, window...)...)

	assert.JSONEq(t, upper, lower)
}

func TestReportLiveChecksIncidentTypes(t *testing.T) {
	dir := samplesite.Dir(t)
	_, url := serveSite(t, dir)
	config := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(config, []byte(`{"incidentTypes":["Nope"]}`), 0o644))
	var stdout, stderr bytes.Buffer

	err := run(t.Context(), []string{"report", "--jira-url", url, "--project", "EE", "--config", config}, liveEnv, &stdout, &stderr)

	require.Error(t, err)
	assert.Equal(t, 2, exitCode(err))
	assert.Contains(t, err.Error(), `invalid incidentTypes entry "Nope"`)
	assert.Contains(t, err.Error(), "Bug")
}
