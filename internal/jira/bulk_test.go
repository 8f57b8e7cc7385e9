package jira_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
)

// bulkSite is a project of 1,500 issues, every 50th with 60 to 120 status changes, so that
// fetches span two chunks and changelogs longer than the search's 40 histories.
func bulkSite() *jiraemu.Site {
	return jiraemu.Generate(jiraemu.GenerateOptions{Seed: 21, IssuesPerProject: 1500})
}

func TestFetchIssuesBulkEqualsSearch(t *testing.T) {
	_, bulkClient := startEmulator(t, bulkSite(), jira.Options{})
	searchEmu, searchClient := startEmulator(t, bulkSite(), jira.Options{})
	searchEmu.SetFaults(jiraemu.Faults{NoBulkIssues: true})

	byBulk, err := bulkClient.FetchIssues(t.Context(), "project = GA", nil)
	require.NoError(t, err)
	bySearch, err := searchClient.FetchIssues(t.Context(), "project = GA", nil)
	require.NoError(t, err)

	require.Len(t, byBulk, 1500)
	assert.Equal(t, bySearch, byBulk)
	assert.Positive(t, searchEmu.Count("/rest/api/3/issue/bulkfetch"), "the search client tried issue bulkfetch first")
}

func TestFetchIssuesRemembersMissingBulkfetch(t *testing.T) {
	emu, client := startEmulator(t, bulkSite(), jira.Options{})
	emu.SetFaults(jiraemu.Faults{NoBulkIssues: true})

	_, err := client.FetchIssues(t.Context(), "project = GA", nil)
	require.NoError(t, err)
	tried := emu.Count("/rest/api/3/issue/bulkfetch")
	_, err = client.FetchIssues(t.Context(), "project = GA", nil)
	require.NoError(t, err)

	assert.Positive(t, tried)
	assert.Equal(t, tried, emu.Count("/rest/api/3/issue/bulkfetch"), "the second fetch goes straight to the search pages")
}

func TestFetchIssuesRetriesIssueErrors(t *testing.T) {
	_, cleanClient := startEmulator(t, bulkSite(), jira.Options{})
	emu, client := startEmulator(t, bulkSite(), jira.Options{})
	emu.SetFaults(jiraemu.Faults{BulkIssueErrors: 2})

	want, err := cleanClient.FetchIssues(t.Context(), "project = GA", nil)
	require.NoError(t, err)
	got, err := client.FetchIssues(t.Context(), "project = GA", nil)
	require.NoError(t, err)

	assert.Equal(t, want, got)
	assert.Equal(t, 15+2, emu.Count("/rest/api/3/issue/bulkfetch"), "the two issues in issueErrors were requested again")
}

func TestFetchIssuesFailsOnLastingIssueErrors(t *testing.T) {
	emu, client := startEmulator(t, bulkSite(), jira.Options{})
	emu.SetFaults(jiraemu.Faults{BulkIssueErrors: 1 << 30})

	_, err := client.FetchIssues(t.Context(), "project = GA", nil)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "Jira failed to return 1 of them after 3 requests")
}

func TestFetchIssuesSkipsVanishedIssues(t *testing.T) {
	site := bulkSite()
	emu, client := startEmulator(t, site, jira.Options{})
	deleted := site.Issues[700].ID

	issues, err := client.FetchIssues(t.Context(), "project = GA", func(fetched, _ int) {
		if fetched == 0 { // after the id list, before any issue is read
			require.NoError(t, emu.DeleteIssue(deleted))
		}
	})
	require.NoError(t, err)

	assert.Len(t, issues, 1499)
	for _, issue := range issues {
		assert.NotEqual(t, deleted, issue.ID)
	}
}

// TestFetchIssuesStopsWhenListingFails fails the second id page and checks that the listing's
// error is returned and that the chunks in flight stop instead of running to their end.
func TestFetchIssuesStopsWhenListingFails(t *testing.T) {
	emu := jiraemu.New(jiraemu.Generate(jiraemu.GenerateOptions{Seed: 3, IssuesPerProject: 7000}), jiraemu.EmulatorOptions{
		Users: []jiraemu.User{{AccountID: testAccount, Email: testEmail, APIToken: testToken}},
	})
	var idPages, bulkAfterFailure atomic.Int32
	var failed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/rest/api/3/search/jql" && idPages.Add(1) == 2:
			time.Sleep(50 * time.Millisecond) // chunks of the first page are in flight by now
			failed.Store(true)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"errorMessages":["the listing failed"],"errors":{}}`))
			return
		case r.URL.Path == "/rest/api/3/issue/bulkfetch" && failed.Load():
			bulkAfterFailure.Add(1)
		}
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	client, err := jira.NewBasic(srv.URL, testEmail, testToken, jira.Options{MaxConcurrency: 2, MaxAttempts: 1, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(client.Close)

	_, err = client.FetchIssues(t.Context(), "project = GA", nil)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "the listing failed")
	assert.LessOrEqual(t, bulkAfterFailure.Load(), int32(2), "at most the requests already waiting for a slot start after the failure")
}

// stubJira serves handler as a Jira site on loopback and returns a client for it.
func stubJira(t *testing.T, handler http.HandlerFunc) *jira.Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	client, err := jira.NewBasic(srv.URL, testEmail, testToken, jira.Options{MaxAttempts: 1, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	return client
}

// TestFetchIssuesFailsWhenBulkfetchLeavesIssuesOut checks that listed issues that issue
// bulkfetch leaves out, while Jira still returns them one by one, fail the fetch instead of
// vanishing from the result.
func TestFetchIssuesFailsWhenBulkfetchLeavesIssuesOut(t *testing.T) {
	emu := jiraemu.New(jiraemu.Generate(jiraemu.GenerateOptions{Seed: 4, IssuesPerProject: 30}), jiraemu.EmulatorOptions{
		Users: []jiraemu.User{{AccountID: testAccount, Email: testEmail, APIToken: testToken}},
	})
	var single atomic.Int32
	client := stubJira(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/rest/api/3/issue/bulkfetch":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"issues":[],"issueErrors":[]}`))
			return
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/rest/api/3/issue/"):
			single.Add(1)
		}
		emu.ServeHTTP(w, r)
	})

	issues, err := client.FetchIssues(t.Context(), "project = GA", nil)

	require.Error(t, err, "got %d issues", len(issues))
	assert.Contains(t, err.Error(), "left it out twice")
	assert.Equal(t, int32(1), single.Load(), "the first issue Jira still returns alone stops the fetch")
}

// TestPagingStopsAfterEmptyPages serves endless empty pages, each with a new token, and checks
// that the id search and the changelog bulkfetch stop after maxEmptyPages of them.
func TestPagingStopsAfterEmptyPages(t *testing.T) {
	var requests atomic.Int32
	client := stubJira(t, func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/rest/api/3/search/jql":
			_, _ = fmt.Fprintf(w, `{"issues":[],"isLast":false,"nextPageToken":"token-%d"}`, n)
		case "/rest/api/3/changelog/bulkfetch":
			_, _ = fmt.Fprintf(w, `{"issueChangeLogs":[],"nextPageToken":"token-%d"}`, n)
		default:
			http.NotFound(w, r)
		}
	})

	_, err := client.SearchIssueIDs(t.Context(), "project = GA")
	require.ErrorContains(t, err, "10 empty pages in a row")
	assert.Equal(t, int32(10), requests.Swap(0))

	_, err = client.StatusHistories(t.Context(), []string{"10001"})
	require.ErrorContains(t, err, "10 empty pages in a row")
	assert.Equal(t, int32(10), requests.Load())
}

func TestCutOffReplyNamesTheCause(t *testing.T) {
	client := stubJira(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issues":[{"id":"1`))
	})

	_, err := client.SearchIssueIDs(t.Context(), "project = GA")

	require.Error(t, err)
	assert.Contains(t, err.Error(), "cut off or malformed")
	assert.NotContains(t, err.Error(), "rate limiting")
}

func TestInProjectLeavesOutMovedIssues(t *testing.T) {
	fetched := []jira.FetchedIssue{{ProjectID: "10000"}, {ProjectID: "10001"}, {}, {ProjectID: "10000"}}
	fetched[0].ID, fetched[1].ID, fetched[2].ID, fetched[3].ID = "1", "2", "3", "4"

	own := jira.InProject(fetched, "10000", slog.New(slog.DiscardHandler))

	var ids []string
	for _, f := range own {
		ids = append(ids, f.ID)
	}
	assert.Equal(t, []string{"1", "3", "4"}, ids, "an issue without a project field is kept")
}
