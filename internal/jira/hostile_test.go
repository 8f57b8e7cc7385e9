package jira_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
)

// Jira gives every issue a key, a creation time, a status and an issue type. Without a creation
// time, lead and recovery times would count from year 1, so an issue that lacks one of them
// fails the fetch like any other malformed reply.
func TestFetchIssuesRejectsMalformedIssue(t *testing.T) {
	cases := []struct {
		name   string
		change func(rec *jiraemu.IssueRecord)
		names  string
	}{
		{"created missing", func(rec *jiraemu.IssueRecord) { delete(rec.Fields, "created") }, "created"},
		{"created null", func(rec *jiraemu.IssueRecord) { rec.Fields["created"] = []byte("null") }, "created"},
		{"created empty", func(rec *jiraemu.IssueRecord) { rec.Fields["created"] = []byte(`""`) }, "created"},
		{"status missing", func(rec *jiraemu.IssueRecord) { delete(rec.Fields, "status") }, "status"},
		{"issue type missing", func(rec *jiraemu.IssueRecord) { delete(rec.Fields, "issuetype") }, "issue type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 3, IssuesPerProject: 20})
			emu, client := startEmulator(t, site, jira.Options{MaxAttempts: 1})
			ids, err := client.SearchIssueIDs(t.Context(), "project = GA")
			require.NoError(t, err)
			require.NoError(t, emu.UpdateIssue(ids[0], tc.change))

			issues, err := client.FetchIssues(t.Context(), "project = GA", nil)

			require.Error(t, err)
			assert.Contains(t, err.Error(), ids[0])
			assert.Contains(t, err.Error(), tc.names)
			assert.Empty(t, issues)
		})
	}
}

// A Jira that ignores startAt returns the same page forever. Each paged read must stop at the
// first repeated page instead of requesting up to its page limit.
func TestPagedReadsStopWhenJiraIgnoresStartAt(t *testing.T) {
	var requests atomic.Int64
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/project/search"):
			_, _ = io.WriteString(w, `{"values":[{"id":"10000","key":"EE","name":"EE"}],"isLast":false,"total":5}`)
		case strings.HasSuffix(r.URL.Path, "/version"):
			_, _ = io.WriteString(w, `{"values":[{"id":"20000","name":"1.0"}],"isLast":false,"total":5}`)
		case strings.HasSuffix(r.URL.Path, "/changelog/bulkfetch"):
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"errorMessages":["not found"]}`)
		case strings.HasSuffix(r.URL.Path, "/changelog"):
			_, _ = io.WriteString(w, `{"values":[{"id":"1","created":"2026-01-01T10:00:00.000+0000","items":[]}],"isLast":false,"total":5}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(server.Close)
	client, err := jira.NewBasic(server.URL, "someone@example.com", "token", jira.Options{MaxAttempts: 1})
	require.NoError(t, err)
	t.Cleanup(client.Close)

	reads := map[string]func() error{
		"projects": func() error { _, err := client.Projects(t.Context()); return err },
		"versions": func() error { _, err := client.Versions(t.Context(), "10000"); return err },
		"changelog": func() error {
			_, err := client.StatusHistories(t.Context(), []string{"30000"})
			return err
		},
	}
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			requests.Store(0)

			err := read()

			require.Error(t, err)
			assert.Contains(t, err.Error(), "repeated")
			assert.LessOrEqual(t, requests.Load(), int64(3))
		})
	}
}

// A Jira or proxy that hands out a new nextPageToken with every page but returns the same
// issues again would make a search request its page limit. The search stops at the second page
// in a row that brings no new issue.
func TestSearchStopsWhenNewTokensRepeatIssues(t *testing.T) {
	var requests atomic.Int64
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"issues":[{"id":"1","key":"EE-1","fields":{"created":"2026-01-01T10:00:00.000+0000","status":{"id":"1"},"issuetype":{"id":"10"}}}],`+
			`"isLast":false,"nextPageToken":"token-`+strconv.FormatInt(n, 10)+`"}`)
	}))
	t.Cleanup(server.Close)
	client, err := jira.NewBasic(server.URL, "someone@example.com", "token", jira.Options{MaxAttempts: 1})
	require.NoError(t, err)
	t.Cleanup(client.Close)

	_, err = client.SearchIssueIDs(t.Context(), "project = 10000")

	require.Error(t, err)
	assert.Contains(t, err.Error(), "repeated")
	assert.LessOrEqual(t, requests.Load(), int64(3))
}

func TestBulkChangelogStopsWhenNewTokensRepeatHistories(t *testing.T) {
	var requests atomic.Int64
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"issueChangeLogs":[{"issueId":"30000","changeHistories":[{"id":"7","created":"2026-01-01T10:00:00.000+0000","items":[]}]}],`+
			`"nextPageToken":"token-`+strconv.FormatInt(n, 10)+`"}`)
	}))
	t.Cleanup(server.Close)
	client, err := jira.NewBasic(server.URL, "someone@example.com", "token", jira.Options{MaxAttempts: 1})
	require.NoError(t, err)
	t.Cleanup(client.Close)

	_, err = client.StatusHistories(t.Context(), []string{"30000"})

	require.Error(t, err)
	assert.Contains(t, err.Error(), "repeated")
	assert.LessOrEqual(t, requests.Load(), int64(3))
}
