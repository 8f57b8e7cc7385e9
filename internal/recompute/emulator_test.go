package recompute

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
	"github.com/devops-metrics/devops-metrics/internal/samplesite"
	"github.com/devops-metrics/devops-metrics/internal/snapshot"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// The account the tests sync as. The token must never reach the store file.
const (
	testAccountID = "557058:0f1e2d3c-sync-test-account"
	testEmail     = "sync-test@example.com"
	testAPIToken  = "ATATT3xFfGF0-sync-test-api-token-4c1d"
)

// sampleNow is a clock reading inside the sample site's activity (June and July 2020), so that
// every standard window has deployments and changes.
var sampleNow = time.Date(2020, 7, 20, 9, 30, 0, 0, time.UTC)

// apiCall is one request the emulator received, with the JQL or issue ids from its body.
type apiCall struct {
	Method, Path string
	JQL          string
	Fields       []string
	IssueIDs     []string
}

// callLog wraps the emulator and records every call with the parts of its body the tests check.
type callLog struct {
	next  http.Handler
	mu    sync.Mutex
	calls []apiCall
}

func (l *callLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := apiCall{Method: r.Method, Path: r.URL.Path}
	if r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var fields struct {
			JQL            string   `json:"jql"`
			Fields         []string `json:"fields"`
			IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
		}
		_ = json.Unmarshal(body, &fields)
		call.JQL, call.Fields, call.IssueIDs = fields.JQL, fields.Fields, fields.IssueIDsOrKeys
	}
	if call.JQL == "" {
		call.JQL = r.URL.Query().Get("jql")
	}
	l.mu.Lock()
	l.calls = append(l.calls, call)
	l.mu.Unlock()
	l.next.ServeHTTP(w, r)
}

func (l *callLog) take() []apiCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	calls := l.calls
	l.calls = nil
	return calls
}

// emulatedSite is a Jira emulator on a loopback httptest server and a client for it.
type emulatedSite struct {
	emu    *jiraemu.Emulator
	log    *callLog
	server *httptest.Server
	client *jira.Client
}

func startEmulator(t *testing.T, site *jiraemu.Site, now func() time.Time) *emulatedSite {
	t.Helper()
	emu := jiraemu.New(site, jiraemu.EmulatorOptions{
		Users: []jiraemu.User{{AccountID: testAccountID, Email: testEmail, APIToken: testAPIToken}},
		Now:   now,
	})
	log := &callLog{next: emu}
	server := httptest.NewServer(log)
	t.Cleanup(server.Close)
	client, err := jira.NewBasic(server.URL, testEmail, testAPIToken, jira.Options{Logger: quietLogger})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	return &emulatedSite{emu: emu, log: log, server: server, client: client}
}

// offlineReports computes, from the snapshot folder, what the offline report prints for every
// standard window of every project, with the default settings.
func offlineReports(t *testing.T, dir string, now time.Time) map[string]map[int]store.StoredReport {
	t.Helper()
	snap, err := snapshot.Load(dir)
	require.NoError(t, err)
	all := make(map[string]map[int]store.StoredReport)
	for _, key := range snap.ProjectKeys() {
		data, err := snap.ProjectData(key)
		require.NoError(t, err)
		reports, err := ComputeWindows(data, dora.Config{}, now)
		require.NoError(t, err)
		all[data.Project.ID] = reports
	}
	return all
}

func TestSampleSyncMatchesOfflineReport(t *testing.T) {
	dir := samplesite.Dir(t)
	site, err := jiraemu.LoadDir(dir)
	require.NoError(t, err)
	jiraSite := startEmulator(t, site, func() time.Time { return sampleNow })
	st := openStore(t)
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return sampleNow }})

	require.NoError(t, r.Run(context.Background(), "dev", jiraSite.client))

	want := offlineReports(t, dir, sampleNow)
	require.NotEmpty(t, want)
	for projectID, windows := range want {
		got, err := st.Reports("dev", projectID)
		require.NoError(t, err)
		for _, days := range WindowDays {
			t.Run(fmt.Sprintf("project %s %d days", projectID, days), func(t *testing.T) {
				require.Contains(t, got, days)
				assertSameReport(t, windows[days], got[days])
			})
		}
	}
	ee := want["10003"][90].Report
	assert.Positive(t, ee.DeploymentFrequency.Count, "deployments in the sample's 90-day window")
	assert.Positive(t, ee.LeadTimeForChanges.Count, "changes in the sample's 90-day window")
}

// assertSameReport compares two stored reports through their JSON, the form the gadget reads.
func assertSameReport(t *testing.T, want, got store.StoredReport) {
	t.Helper()
	wantJSON, err := json.MarshalIndent(want.Report, "", " ")
	require.NoError(t, err)
	gotJSON, err := json.MarshalIndent(got.Report, "", " ")
	require.NoError(t, err)
	assert.Equal(t, string(wantJSON), string(gotJSON), "report")

	wantJSON, err = json.MarshalIndent(want.Evidence, "", " ")
	require.NoError(t, err)
	gotJSON, err = json.MarshalIndent(got.Evidence, "", " ")
	require.NoError(t, err)
	assert.Equal(t, string(wantJSON), string(gotJSON), "evidence")
}

func TestStoreFileHoldsNoPersonalData(t *testing.T) {
	dir := samplesite.Dir(t)
	site, err := jiraemu.LoadDir(dir)
	require.NoError(t, err)
	jiraSite := startEmulator(t, site, func() time.Time { return sampleNow })
	path := filepath.Join(t.TempDir(), "metrics.db")
	st, err := store.Open(path, store.Options{Logger: quietLogger})
	require.NoError(t, err)
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return sampleNow }})
	require.NoError(t, r.Run(context.Background(), "dev", jiraSite.client))
	require.NoError(t, st.Close())

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(raw), "EE-1", "the file holds issue keys, so the search below reads real content")

	forbidden := personalStrings(t, dir)
	require.NotEmpty(t, forbidden["summary"])
	require.NotEmpty(t, forbidden["displayName"])
	forbidden["token"] = []string{testAPIToken}
	forbidden["email"] = append(forbidden["email"], testEmail)
	for kind, values := range forbidden {
		for _, v := range values {
			assert.NotContains(t, string(raw), v, "%s found in the store file", kind)
		}
	}
}

// personalStrings collects, by kind, the strings of the sample site that the store must not
// keep: issue summaries and every displayName, accountId and emailAddress in issues and
// changelogs. Invisible characters are trimmed from summaries so that a match on the visible
// text counts too; values shorter than 4 bytes are skipped, as they match by chance.
func personalStrings(t *testing.T, dir string) map[string][]string {
	t.Helper()
	found := map[string][]string{}
	add := func(kind, v string) {
		v = strings.Trim(v, "\u200b\x00 \t\n")
		if len(v) >= 4 && !slices.Contains(found[kind], v) {
			found[kind] = append(found[kind], v)
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if s, ok := child.(string); ok {
					switch k {
					case "summary", "displayName", "accountId":
						add(k, s)
					case "emailAddress":
						add("email", s)
					}
				}
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "changelogs", "*.json"))
	require.NoError(t, err)
	for _, name := range append([]string{filepath.Join(dir, "issues.json")}, files...) {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		var doc any
		require.NoError(t, json.Unmarshal(data, &doc), name)
		walk(doc)
	}
	return found
}
