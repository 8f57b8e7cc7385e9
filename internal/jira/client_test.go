package jira_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
	"github.com/devops-metrics/devops-metrics/internal/snapshot"
)

// generatedSnapshot writes a generated site to a folder and loads it back as the offline
// reader does, so tests can compare live reads with the snapshot's facts.
func generatedSnapshot(t *testing.T, opts jiraemu.GenerateOptions) (*jiraemu.Site, *snapshot.Site) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "site")
	require.NoError(t, jiraemu.Generate(opts).WriteDir(dir))
	site, err := jiraemu.LoadDir(dir)
	require.NoError(t, err)
	snap, err := snapshot.Load(dir)
	require.NoError(t, err)
	return site, snap
}

func TestLoadProjectGeneratedLongHistories(t *testing.T) {
	site, snap := generatedSnapshot(t, jiraemu.GenerateOptions{Seed: 7, Projects: 2, IssuesPerProject: 300, LongHistoryEvery: 20})
	emu, client := startEmulator(t, site, jira.Options{})

	for _, key := range snap.ProjectKeys() {
		t.Run(key, func(t *testing.T) {
			want, err := snap.ProjectData(key)
			require.NoError(t, err)
			got, err := client.LoadProject(t.Context(), key, nil)
			require.NoError(t, err)

			long := 0
			require.Len(t, got.Issues, len(want.Issues))
			for i := range want.Issues {
				if len(want.Issues[i].Transitions) > 40 {
					long++
				}
				assert.Equal(t, want.Issues[i].Transitions, got.Issues[i].Transitions, want.Issues[i].Key)
			}
			assert.Greater(t, long, 5, "the site has issues with more status changes than search's changelog keeps")
			assert.Equal(t, reportJSON(t, want), reportJSON(t, got))
		})
	}
	assert.Zero(t, emu.Count("/rest/api/3/issue/*/changelog"), "bulkfetch covers every issue")
}

// siteWithStatusChanges returns a one-issue site whose issue has n status changes.
func siteWithStatusChanges(t *testing.T, n int) *jiraemu.Site {
	t.Helper()
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 1, IssuesPerProject: 1, LongHistoryEvery: -1})
	issue := site.Issues[0]
	issue.Histories = nil
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	from := jiraemu.GenStatusToDo
	for k := range n {
		to := jiraemu.GenStatusInProgress
		if from == jiraemu.GenStatusInProgress {
			to = jiraemu.GenStatusInReview
		}
		issue.Histories = append(issue.Histories, jirajson.History{
			ID:      strconv.Itoa(500000 + k),
			Created: jirajson.Time{Time: start.Add(time.Duration(k) * time.Hour)},
			Items: []jirajson.HistoryItem{
				{Field: "assignee", FieldID: "assignee", From: "a", To: "b"},
				{Field: "status", FieldType: "jira", FieldID: "status", From: from, To: to},
			},
		})
		from = to
	}
	return site
}

func TestStatusHistoriesOf250Changes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults jiraemu.Faults
		path   string
		calls  int
	}{
		{"bulkfetch", jiraemu.Faults{}, "/rest/api/3/changelog/bulkfetch", 1},
		{"per-issue fallback", jiraemu.Faults{NoBulkChangelog: true}, "/rest/api/3/issue/*/changelog", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := siteWithStatusChanges(t, 250)
			id := site.Issues[0].ID
			emu, client := startEmulator(t, site, jira.Options{})
			emu.SetFaults(tc.faults)

			got, err := client.StatusHistories(t.Context(), []string{id})
			require.NoError(t, err)

			transitions := got[id]
			require.Len(t, transitions, 250)
			assert.Equal(t, jiraemu.GenStatusToDo, transitions[0].From, "the first change leaves To Do")
			assert.Equal(t, jiraemu.GenStatusInProgress, transitions[0].To, "the first change enters In Progress")
			for k := 1; k < len(transitions); k++ {
				assert.True(t, transitions[k].At.After(transitions[k-1].At), "transition %d is later than %d", k, k-1)
				assert.Equal(t, transitions[k-1].To, transitions[k].From, "transition %d starts where %d ended", k, k-1)
			}
			assert.Equal(t, tc.calls, emu.Count(tc.path))
		})
	}
}

func TestBulkfetchPagesLargeHistories(t *testing.T) {
	site := siteWithStatusChanges(t, 10050)
	id := site.Issues[0].ID
	emu, client := startEmulator(t, site, jira.Options{})

	got, err := client.StatusHistories(t.Context(), []string{id})
	require.NoError(t, err)

	assert.Len(t, got[id], 10050)
	assert.Equal(t, 2, emu.Count("/rest/api/3/changelog/bulkfetch"), "10,000 histories a page")
}

func TestSearchChangelogIsCutTo40(t *testing.T) {
	site := siteWithStatusChanges(t, 250)
	emu, _ := startEmulator(t, site, jira.Options{})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)

	// The client never asks for expand=changelog; read it raw to show why.
	var page struct {
		Issues []jirajson.Issue `json:"issues"`
	}
	getJSON(t, srv.URL+"/rest/api/3/search/jql?jql=project%3DGA&expand=changelog&fields=status", &page)
	require.Len(t, page.Issues, 1)
	cl := page.Issues[0].Changelog
	require.NotNil(t, cl)
	assert.Equal(t, 250, cl.Total)
	require.Len(t, cl.Histories, 40)
	assert.True(t, cl.Histories[0].Created.After(cl.Histories[39].Created.Time), "newest first")
	assert.Equal(t, "500249", cl.Histories[0].ID, "the newest history comes first")
}

func TestRateLimitEveryThirdRequest(t *testing.T) {
	site, snap := generatedSnapshot(t, jiraemu.GenerateOptions{Seed: 3, IssuesPerProject: 450, VersionsPerProject: 60})
	key := snap.ProjectKeys()[0]
	want, err := snap.ProjectData(key)
	require.NoError(t, err)

	sleep := &fakeSleep{}
	emu, client := startEmulator(t, site, jira.Options{Sleep: sleep.Sleep})
	emu.SetFaults(jiraemu.Faults{RateLimitEvery: 3, RetryAfter: "1"})

	got, err := client.LoadProject(t.Context(), key, nil)
	require.NoError(t, err)

	assert.Equal(t, reportJSON(t, want), reportJSON(t, got))
	assert.Equal(t, want.Issues, got.Issues)
	rateLimited := 0
	for _, r := range emu.Requests() {
		if r.Status == 429 {
			rateLimited++
		}
	}
	require.Positive(t, rateLimited)
	assert.Len(t, sleep.waits, rateLimited, "one wait per 429")
	for _, w := range sleep.waits {
		assert.Equal(t, time.Second, w, "the wait is Retry-After")
	}
}

func TestRateLimitBursts(t *testing.T) {
	site, snap := generatedSnapshot(t, jiraemu.GenerateOptions{Seed: 19, IssuesPerProject: 1500})
	key := snap.ProjectKeys()[0]
	want, err := snap.ProjectData(key)
	require.NoError(t, err)
	sleep := &fakeSleep{}
	emu, client := startEmulator(t, site, jira.Options{Sleep: sleep.Sleep})
	emu.SetFaults(jiraemu.Faults{RateLimitEvery: 10, RateLimitBurst: 4, RetryAfter: "2"})

	got, err := client.LoadProject(t.Context(), key, nil)
	require.NoError(t, err)

	assert.Equal(t, reportJSON(t, want), reportJSON(t, got))
	rateLimited := 0
	for _, r := range emu.Requests() {
		if r.Status == 429 {
			rateLimited++
		}
	}
	assert.GreaterOrEqual(t, rateLimited, 8, "at least two bursts of four")
	assert.Equal(t, time.Duration(rateLimited)*2*time.Second, sleep.total(), "every 429 waited its Retry-After")
}

func TestRateLimitWithRealSleep(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 4, IssuesPerProject: 20, VersionsPerProject: 3})
	emu, _ := startEmulator(t, site, jira.Options{})
	client, err := jira.NewBasic(clientURL(t, emu), testEmail, testToken, jira.Options{})
	require.NoError(t, err)
	emu.SetFaults(jiraemu.Faults{RateLimitEvery: 3, RetryAfter: "1"})

	got, err := client.LoadProject(t.Context(), site.Projects[0].Key, nil)
	require.NoError(t, err)

	assert.Len(t, got.Issues, 20)
	rateLimited := 0
	for _, r := range emu.Requests() {
		if r.Status == 429 {
			rateLimited++
		}
	}
	assert.Equal(t, 3, rateLimited, "requests 3, 6 and 9 were rate limited")
}

func clientURL(t *testing.T, emu *jiraemu.Emulator) string {
	t.Helper()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAlwaysFailingJira(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults jiraemu.Faults
	}{
		{"503 with Retry-After", jiraemu.Faults{ServerErrorEvery: 1, ServerErrorStatus: 503, RetryAfter: "1"}},
		{"500", jiraemu.Faults{ServerErrorEvery: 1, ServerErrorStatus: 500}},
		{"429 without Retry-After", jiraemu.Faults{RateLimitEvery: 1}},
		{"malformed body", jiraemu.Faults{MalformedEvery: 1}},
		{"truncated body", jiraemu.Faults{TruncateEvery: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 5, IssuesPerProject: 5})
			sleep := &fakeSleep{}
			emu, client := startEmulator(t, site, jira.Options{Sleep: sleep.Sleep, MaxAttempts: 5, MaxBackoff: 4 * time.Second})
			emu.SetFaults(tc.faults)

			_, err := client.LoadProject(t.Context(), site.Projects[0].Key, nil)

			require.Error(t, err)
			assert.ErrorIs(t, err, jira.ErrUnavailable)
			var apiErr *jira.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 5, apiErr.Attempts)
			assert.Equal(t, 5, emu.Count(""), "the attempts are bounded")
			assert.LessOrEqual(t, sleep.total(), 4*4*time.Second, "the waits are bounded")
			assert.Contains(t, err.Error(), "after 5 attempts")
		})
	}
}

func TestRetryAfterBeyondLimitFailsAtOnce(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 5, IssuesPerProject: 5})
	sleep := &fakeSleep{}
	emu, client := startEmulator(t, site, jira.Options{Sleep: sleep.Sleep, MaxRetryAfter: time.Minute})
	emu.SetFaults(jiraemu.Faults{RateLimitEvery: 1, RetryAfter: "3600"})

	_, err := client.Myself(t.Context())

	assert.ErrorIs(t, err, jira.ErrUnavailable)
	assert.Contains(t, err.Error(), "Retry-After of 1h0m0s exceeds")
	assert.Empty(t, sleep.waits)
	assert.Equal(t, 1, emu.Count(""))
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 5, IssuesPerProject: 5})
	for _, tc := range []struct {
		name     string
		call     func(c *jira.Client) error
		sentinel error
		message  string
	}{
		{"invalid JQL", func(c *jira.Client) error { _, err := c.SearchIssueIDs(t.Context(), "projectt = GA"); return err }, jira.ErrBadRequest, "Field 'projectt' does not exist"},
		{"unbounded JQL", func(c *jira.Client) error { _, err := c.SearchIssueIDs(t.Context(), "order by key"); return err }, jira.ErrBadRequest, "Unbounded JQL"},
		{"unknown project", func(c *jira.Client) error { _, err := c.Versions(t.Context(), "NOPE"); return err }, jira.ErrNotFound, "No project could be found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu, client := startEmulator(t, site, jira.Options{})
			err := tc.call(client)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.sentinel)
			assert.Contains(t, err.Error(), tc.message)
			assert.Equal(t, 1, emu.Count(""))
		})
	}
}

func TestWrongCredentialsAreUnauthorized(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 5, IssuesPerProject: 5})
	emu, _ := startEmulator(t, site, jira.Options{})
	client, err := jira.NewBasic(clientURL(t, emu), testEmail, "wrong-token", jira.Options{})
	require.NoError(t, err)

	_, err = client.Myself(t.Context())

	assert.ErrorIs(t, err, jira.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "wrong-token")
	assert.Contains(t, err.Error(), "check the account email and API token")
}

func TestBearerOverForgePath(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 6, IssuesPerProject: 30})
	emu, _ := startEmulator(t, site, jira.Options{})
	client, err := jira.NewBearer(clientURL(t, emu)+"/ex/jira/0b7c5a7e-cloud", "forge-token", jira.Options{})
	require.NoError(t, err)

	me, err := client.Myself(t.Context())
	require.NoError(t, err)
	issues, err := client.FetchIssues(t.Context(), "project = "+site.Projects[0].Key, nil)
	require.NoError(t, err)

	assert.Equal(t, testAccount, me.AccountID)
	assert.Len(t, issues, 30)
}

func TestPermissions(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 8, Projects: 3, IssuesPerProject: 2})
	site.Permissions = map[string][]string{testAccount: {site.Projects[0].ID, site.Projects[2].ID}}
	_, client := startEmulator(t, site, jira.Options{})
	ids := []string{site.Projects[0].ID, site.Projects[1].ID, site.Projects[2].ID}

	granted, err := client.CheckProjectPermissions(t.Context(), "BROWSE_PROJECTS", ids)
	require.NoError(t, err)
	assert.Equal(t, []string{ids[0], ids[2]}, granted)

	for i, want := range []bool{true, false, true} {
		have, err := client.MyPermission(t.Context(), ids[i], "BROWSE_PROJECTS")
		require.NoError(t, err)
		assert.Equal(t, want, have, "project %s", ids[i])
	}

	projects, err := client.Projects(t.Context())
	require.NoError(t, err)
	assert.Len(t, projects, 2)

	_, err = client.CheckProjectPermissions(t.Context(), "BROWSE_PROJECTS", []string{"GA"})
	assert.ErrorIs(t, err, jira.ErrBadRequest)
}

func TestPagingFollowsEveryPage(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 9, Projects: 120, IssuesPerProject: 1, VersionsPerProject: 130})
	emu, client := startEmulator(t, site, jira.Options{})

	projects, err := client.Projects(t.Context())
	require.NoError(t, err)
	versions, err := client.Versions(t.Context(), site.Projects[0].ID)
	require.NoError(t, err)

	assert.Len(t, projects, 120)
	assert.Equal(t, 3, emu.Count("/rest/api/3/project/search"), "50 projects a page")
	assert.Len(t, versions, 130)
	assert.Equal(t, 3, emu.Count("/rest/api/3/project/*/version"), "50 versions a page")
}

func TestSearchIssueIDsUses5000Pages(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 10, IssuesPerProject: 5200, VersionsPerProject: 2, LongHistoryEvery: -1})
	emu, client := startEmulator(t, site, jira.Options{})

	ids, err := client.SearchIssueIDs(t.Context(), "project = "+site.Projects[0].Key)
	require.NoError(t, err)

	assert.Len(t, ids, 5200)
	assert.Equal(t, 2, emu.Count("/rest/api/3/search/jql"))
}

func TestFetchIssuesReportsProgress(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 11, IssuesPerProject: 2500})
	_, client := startEmulator(t, site, jira.Options{})
	var calls [][2]int

	_, err := client.FetchIssues(t.Context(), "project = GA", func(fetched, total int) { calls = append(calls, [2]int{fetched, total}) })
	require.NoError(t, err)

	require.Len(t, calls, 4, "after the id list and after each chunk of 1,000: %v", calls)
	assert.Equal(t, [2]int{0, 2500}, calls[0])
	assert.Equal(t, [2]int{2500, 2500}, calls[3])
	for i := 1; i < len(calls); i++ {
		assert.Greater(t, calls[i][0], calls[i-1][0], "issues read grow with every call")
		assert.Equal(t, 2500, calls[i][1], "the total is the number of ids")
	}
}

func TestFetchIssuesReportsSearchProgress(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 11, IssuesPerProject: 250})
	emu, client := startEmulator(t, site, jira.Options{})
	emu.SetFaults(jiraemu.Faults{NoBulkIssues: true})
	var calls [][2]int

	_, err := client.FetchIssues(t.Context(), "project = GA", func(fetched, total int) { calls = append(calls, [2]int{fetched, total}) })
	require.NoError(t, err)

	assert.Equal(t, [][2]int{{0, 250}, {100, 250}, {200, 250}, {250, 250}, {250, 250}}, calls,
		"the id list, then each search page of the fallback, then the histories")
}

func TestExpiredPageTokenIsRejected(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 12, IssuesPerProject: 150})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	emu := jiraemu.New(site, jiraemu.EmulatorOptions{
		Users: []jiraemu.User{{AccountID: testAccount, Email: testEmail, APIToken: testToken}},
		Now:   func() time.Time { return now },
	})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	pages := 0
	client, err := jira.NewBasic(srv.URL, testEmail, testToken, jira.Options{})
	require.NoError(t, err)

	err = client.SearchIssues(t.Context(), "project = GA", func([]jira.FetchedIssue) error {
		pages++
		now = now.Add(8 * 24 * time.Hour) // tokens live 7 days
		return nil
	})

	assert.ErrorIs(t, err, jira.ErrBadRequest)
	assert.Contains(t, err.Error(), "next page token is invalid or expired")
	assert.Equal(t, 1, pages)
}

func TestIncrementalJQLUsesCallerTimeZone(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 13, IssuesPerProject: 3})
	emu := jiraemu.New(site, jiraemu.EmulatorOptions{
		Users: []jiraemu.User{{AccountID: testAccount, Email: testEmail, APIToken: testToken, TimeZone: "Asia/Tokyo"}},
		Now:   func() time.Time { return time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC) },
	})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	client, err := jira.NewBasic(srv.URL, testEmail, testToken, jira.Options{})
	require.NoError(t, err)
	id := site.Issues[0].ID
	require.NoError(t, emu.UpdateIssue(id, func(*jiraemu.IssueRecord) {})) // updated = 2026-02-01 21:00 in Tokyo

	tests := []struct {
		jql  string
		want int
	}{
		{`project = GA AND updated >= "2026/02/01 20:59"`, 1},
		{`project = GA AND updated >= "2026/02/01 21:01"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.jql, func(t *testing.T) {
			ids, err := client.SearchIssueIDs(t.Context(), tt.jql)
			require.NoError(t, err)
			assert.Len(t, ids, tt.want)
		})
	}
}

func TestErrorMessagesNameTheCall(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 5, IssuesPerProject: 1})
	_, client := startEmulator(t, site, jira.Options{})
	_, err := client.Versions(t.Context(), "NOPE")
	var apiErr *jira.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 404, apiErr.Status)
	assert.Equal(t, "list versions of project NOPE from 0: jira GET /rest/api/3/project/NOPE/version: status 404: No project could be found with key or id 'NOPE'.", err.Error())
	_ = dora.Project{}
}

func TestFetchIssuesDeduplicatesMovedIssues(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 14, IssuesPerProject: 150})
	emu, client := startEmulator(t, site, jira.Options{})
	pages := 0
	var moved string

	// The search pages are the fallback for sites without issue bulkfetch.
	emu.SetFaults(jiraemu.Faults{NoBulkIssues: true})
	issues, err := client.FetchIssues(t.Context(), "project = GA ORDER BY updated ASC", func(fetched, total int) {
		if fetched == 0 {
			return // the id list, before the search pages
		}
		pages++
		if pages == 1 {
			// The oldest-updated issue changes now, so it sorts last and the second page repeats it.
			page, err := client.SearchIssueIDs(t.Context(), "project = GA ORDER BY updated ASC")
			require.NoError(t, err)
			moved = page[0]
			require.NoError(t, emu.UpdateIssue(moved, func(*jiraemu.IssueRecord) {}))
		}
	})
	require.NoError(t, err)

	seen := map[string]int{}
	for _, issue := range issues {
		seen[issue.ID]++
	}
	assert.Equal(t, len(seen), len(issues), "no issue appears twice")
	assert.Equal(t, 1, seen[moved])
	assert.Equal(t, 2, emu.Count("/rest/api/3/search/jql")-2, "two search pages besides the id list and the probe")
}

func TestFetchIssuesFailsOnHistoryError(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 15, IssuesPerProject: 2500, LongHistoryEvery: -1})
	emu, _ := startEmulator(t, site, jira.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/rest/api/3/changelog/bulkfetch" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"errorMessages":["Bulk changelog is switched off."],"errors":{}}`))
			return
		}
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	client, err := jira.NewBasic(srv.URL, testEmail, testToken, jira.Options{})
	require.NoError(t, err)

	_, err = client.FetchIssues(t.Context(), "project = GA", nil)

	assert.ErrorIs(t, err, jira.ErrBadRequest)
	assert.Contains(t, err.Error(), "Bulk changelog is switched off.")
	assert.Less(t, emu.Count("/rest/api/3/search/jql"), 25, "the search stops once a history fetch failed")
}

func TestFetchIssuesHonoursCancel(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 16, IssuesPerProject: 500})
	emu, client := startEmulator(t, site, jira.Options{})
	ctx, cancel := context.WithCancel(t.Context())

	_, err := client.FetchIssues(ctx, "project = GA", func(fetched, total int) {
		if fetched >= 200 {
			cancel()
		}
	})

	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, emu.Count("/rest/api/3/search/jql"), 5)
}

func TestSlowJira(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 17, IssuesPerProject: 5})

	t.Run("context deadline stops the call", func(t *testing.T) {
		emu, client := startEmulator(t, site, jira.Options{})
		emu.SetFaults(jiraemu.Faults{Delay: 5 * time.Second})
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()

		_, err := client.Myself(ctx)

		assert.ErrorIs(t, err, context.DeadlineExceeded)
		// The emulator logs the cut request only once its handler notices the closed connection.
		assert.LessOrEqual(t, emu.Count(""), 1, "no retry after the context ended")
	})

	t.Run("request timeout is retried", func(t *testing.T) {
		emu, _ := startEmulator(t, site, jira.Options{})
		emu.SetFaults(jiraemu.Faults{Delay: 5 * time.Second})
		sleep := &fakeSleep{}
		client, err := jira.NewBasic(clientURL(t, emu), testEmail, testToken, jira.Options{
			HTTPClient:  &http.Client{Timeout: 50 * time.Millisecond},
			MaxAttempts: 3,
			Sleep:       sleep.Sleep,
		})
		require.NoError(t, err)

		_, err = client.Myself(t.Context())

		assert.ErrorIs(t, err, jira.ErrUnavailable)
		assert.Len(t, sleep.waits, 2, "two waits between three attempts")
		assert.Contains(t, err.Error(), "after 3 attempts")
	})
}

func TestTeamManagedProjectStatuses(t *testing.T) {
	site, snap := generatedSnapshot(t, jiraemu.GenerateOptions{Seed: 18, Projects: 2, IssuesPerProject: 80, TeamManagedEvery: 2})
	_, client := startEmulator(t, site, jira.Options{})

	statusCount := map[string]int{"GA": 4, "GB": 8} // GB has the 4 global statuses and its own 4
	for _, key := range snap.ProjectKeys() {
		t.Run(key, func(t *testing.T) {
			want, err := snap.ProjectData(key)
			require.NoError(t, err)
			got, err := client.LoadProject(t.Context(), key, nil)
			require.NoError(t, err)

			assert.Equal(t, want.Statuses, got.Statuses)
			assert.Len(t, got.Statuses, statusCount[key])
			assert.Equal(t, reportJSON(t, want), reportJSON(t, got))
		})
	}
	own := map[string]bool{"20010": true, "20011": true, "20012": true, "20013": true}
	for _, issue := range site.Issues[80:] {
		for _, h := range issue.Histories {
			assert.True(t, own[h.Items[0].To], "%s moves only through GB's own statuses", issue.Key)
		}
	}
}

func TestConcurrencyCapIsPerSite(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 20, Projects: 2, IssuesPerProject: 1200, LongHistoryEvery: -1})
	emu, _ := startEmulator(t, site, jira.Options{})
	emu.SetFaults(jiraemu.Faults{Delay: 10 * time.Millisecond})
	var mu sync.Mutex
	inFlight, maxInFlight := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		mu.Unlock()
		// The reply is held until the request no longer counts, because a client that has the
		// whole reply may send its next request at once.
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, r)
		mu.Lock()
		inFlight--
		mu.Unlock()
		for name, values := range rec.Header() {
			w.Header()[name] = values
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)

	var wg sync.WaitGroup
	for _, key := range []string{"GA", "GB"} {
		client, err := jira.NewBasic(srv.URL, testEmail, testToken, jira.Options{MaxConcurrency: 3})
		require.NoError(t, err)
		wg.Go(func() {
			_, err := client.FetchIssues(t.Context(), "project = "+key, nil)
			assert.NoError(t, err)
		})
	}
	wg.Wait()

	assert.LessOrEqual(t, maxInFlight, 3, "two clients of one site share its three slots")
}

func TestRetriesAreLoggedWithoutCredentials(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 22, IssuesPerProject: 5})
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	emu, client := startEmulator(t, site, jira.Options{Logger: logger, MaxAttempts: 3})
	emu.SetFaults(jiraemu.Faults{ServerErrorEvery: 1, ServerErrorStatus: 503, RetryAfter: "1"})

	_, err := client.Myself(t.Context())

	require.Error(t, err)
	out := logs.String()
	assert.Equal(t, 2, strings.Count(out, `msg="jira request retry"`), "one line per retry")
	assert.Contains(t, out, "path=/rest/api/3/myself")
	assert.Contains(t, out, "attempt=2")
	assert.Contains(t, out, "wait=1s")
	assert.Contains(t, out, `msg="jira request failed"`)
	assert.Contains(t, out, "component=jira")
	assert.NotContains(t, out, testToken)
}
