package recompute

import (
	"bytes"
	"cmp"
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
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
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

func startEmulator(t testing.TB, site *jiraemu.Site, now func() time.Time) *emulatedSite {
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
	// Status and issue type names are stored for the edit view; user display names never are.
	names := 0
	for _, s := range site.Statuses {
		if strings.Contains(string(raw), `"name":"`+s.Name+`"`) {
			names++
		}
	}
	assert.Positive(t, names, "status names are stored")

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
// changelogs. Invisible characters are trimmed from summaries, so a match on the visible text
// counts too. Values shorter than 4 bytes are skipped because they match by chance.
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

// genNow is the instant a generated test site's history ends.
var genNow = time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)

// metadataPaths are the reads besides search and bulkfetch that every run makes.
var metadataPaths = []string{"/rest/api/3/myself", "/rest/api/3/project/search", "/rest/api/3/status", "/rest/api/3/issuetype"}

func TestIncrementalSyncAgainstEmulator(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 7, Projects: 2, IssuesPerProject: 60, Days: 120, Now: genNow})
	require.Len(t, site.Projects, 2)
	projA, projB := site.Projects[0], site.Projects[1]
	clk := &clock{now: genNow.Add(time.Hour)}
	jiraSite := startEmulator(t, site, clk.Now)
	st := openStore(t)
	r := New(st, Options{Logger: quietLogger, Now: clk.Now})

	require.NoError(t, r.Run(context.Background(), "dev", jiraSite.client))
	idsA := storedIDs(t, st, "dev", projA.ID)
	require.Len(t, idsA, 60)
	jiraSite.log.take()

	// Change the site an hour and a half after the first run, then sync two hours after it.
	clk.Set(genNow.Add(150 * time.Minute))
	edited, progressed, deleted, moved := idsA[3], idsA[5], idsA[7], idsA[9]
	require.NoError(t, jiraSite.emu.UpdateIssue(edited, func(rec *jiraemu.IssueRecord) {
		require.NoError(t, rec.SetField("fixVersions", []jirajson.Version{}))
	}))
	require.NoError(t, jiraSite.emu.AddStatusChange(progressed, clk.Now().Add(-time.Minute), jiraemu.GenStatusInProgress, jiraemu.GenStatusDone))
	require.NoError(t, jiraSite.emu.DeleteIssue(deleted))
	require.NoError(t, jiraSite.emu.MoveIssue(moved, projB.Key))
	added := &jiraemu.IssueRecord{ID: "990001", Key: projA.Key + "-990001"}
	require.NoError(t, added.SetField("project", projA))
	require.NoError(t, added.SetField("issuetype", jirajson.IssueType{ID: jiraemu.GenTypeBug, Name: "Bug", UntranslatedName: "Bug"}))
	require.NoError(t, added.SetField("status", jirajson.Status{ID: jiraemu.GenStatusToDo, Name: "To Do", StatusCategory: jirajson.StatusCategory{Key: "new"}}))
	require.NoError(t, jiraSite.emu.AddIssue(added))

	clk.Set(genNow.Add(3 * time.Hour))
	require.NoError(t, r.Run(context.Background(), "dev", jiraSite.client))
	calls := jiraSite.log.take()

	t.Run("search requests", func(t *testing.T) {
		// The first run's cursor minus 6 minutes, written in the account's (the site's) time zone.
		userZone, err := time.LoadLocation(cmp.Or(site.TimeZone, "UTC"))
		require.NoError(t, err)
		since := genNow.Add(time.Hour - 6*time.Minute).In(userZone).Format("2006/01/02 15:04")
		for _, p := range []jirajson.Project{projA, projB} {
			var jqls []string
			for _, c := range calls {
				if c.Path == "/rest/api/3/search/jql" && strings.HasPrefix(c.JQL, "project = "+p.ID) {
					jqls = append(jqls, c.JQL)
				}
			}
			assert.LessOrEqual(t, len(jqls), 2, "searches of project %s: %q", p.Key, jqls)
			assert.Contains(t, jqls, fmt.Sprintf(`project = %s AND updated >= "%s"`, p.ID, since), "incremental search of project %s", p.Key)
		}
		assert.LessOrEqual(t, countPath(calls, "/rest/api/3/search/jql"), 4, "searches in all")
	})
	for _, path := range []string{"/rest/api/3/issue/bulkfetch", "/rest/api/3/changelog/bulkfetch"} {
		t.Run("bulkfetch of changed issues "+path, func(t *testing.T) {
			var fetched []string
			for _, c := range calls {
				if c.Path == path {
					fetched = append(fetched, c.IssueIDs...)
				}
			}
			slices.Sort(fetched)
			fetched = slices.Compact(fetched)
			want := []string{edited, progressed, moved, added.ID}
			slices.Sort(want)
			assert.Equal(t, want, fetched)
		})
	}
	t.Run("no other calls", func(t *testing.T) {
		for _, c := range calls {
			switch {
			case c.Path == "/rest/api/3/search/jql", c.Path == "/rest/api/3/issue/bulkfetch", c.Path == "/rest/api/3/changelog/bulkfetch",
				c.Path == "/rest/api/3/search/approximate-count":
			case slices.Contains(metadataPaths, c.Path):
			case strings.HasPrefix(c.Path, "/rest/api/3/project/") && strings.HasSuffix(c.Path, "/version"):
			default:
				t.Errorf("unexpected call %s %s", c.Method, c.Path)
			}
		}
	})

	t.Run("facts", func(t *testing.T) {
		gotA := storedIDs(t, st, "dev", projA.ID)
		assert.NotContains(t, gotA, deleted, "deleted issue dropped")
		assert.NotContains(t, gotA, moved, "moved issue dropped from its old project")
		assert.Contains(t, gotA, added.ID, "added issue stored")
		assert.Contains(t, storedIDs(t, st, "dev", projB.ID), moved, "moved issue stored in its new project")
	})

	t.Run("reports equal a full recompute", func(t *testing.T) {
		fresh := openStore(t)
		require.NoError(t, New(fresh, Options{Logger: quietLogger, Now: clk.Now}).Run(context.Background(), "dev", jiraSite.client))
		for _, p := range []jirajson.Project{projA, projB} {
			want, err := fresh.Reports("dev", p.ID)
			require.NoError(t, err)
			got, err := st.Reports("dev", p.ID)
			require.NoError(t, err)
			require.Len(t, got, len(WindowDays))
			for _, days := range WindowDays {
				assertSameReport(t, want[days], got[days])
			}
			wantData, err := fresh.ProjectData("dev", p.ID)
			require.NoError(t, err)
			gotData, err := st.ProjectData("dev", p.ID)
			require.NoError(t, err)
			assert.Equal(t, wantData, gotData, "facts of project %s", p.Key)
		}
	})
}

func countPath(calls []apiCall, path string) int {
	n := 0
	for _, c := range calls {
		if c.Path == path {
			n++
		}
	}
	return n
}

func TestSyncStoresNamesAndFinish(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 3, Projects: 2, IssuesPerProject: 20, Days: 60, Now: genNow})
	require.NotEmpty(t, site.Statuses)
	require.NotEmpty(t, site.IssueTypes)
	jiraSite := startEmulator(t, site, func() time.Time { return genNow })
	st, err := store.Open(filepath.Join(t.TempDir(), "metrics.db"), store.Options{Logger: quietLogger})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, st.Close()) })
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return genNow }})

	before, err := st.TenantSync("t1")
	require.NoError(t, err)
	assert.True(t, before.FinishedAt.IsZero(), "no run has finished before the first")
	require.NoError(t, r.Run(context.Background(), "t1", jiraSite.client))
	after, err := st.TenantSync("t1")
	require.NoError(t, err)
	assert.True(t, genNow.Equal(after.FinishedAt), "the run records when it ended")

	md, err := st.Metadata("t1", site.Projects[0].ID)
	require.NoError(t, err)
	require.NotEmpty(t, md.Statuses)
	for _, s := range md.Statuses {
		assert.NotEmpty(t, s.Name, "status %s has its name", s.ID)
		assert.NotEmpty(t, s.Category, "status %s has its category", s.ID)
	}
	require.NotEmpty(t, md.IssueTypes)
	ids := map[string]bool{}
	for _, it := range md.IssueTypes {
		assert.NotEmpty(t, it.Name, "issue type %s has its name", it.ID)
		assert.False(t, ids[it.ID], "issue type %s is listed once", it.ID)
		ids[it.ID] = true
	}
}

func TestMetadataListsEachIDOnce(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 3, Projects: 1, IssuesPerProject: 5, Days: 30, Now: genNow})
	site.IssueTypes = append(site.IssueTypes, site.IssueTypes[0])
	site.IssueTypes[len(site.IssueTypes)-1].Name = "Second name"
	site.Statuses = append(site.Statuses, site.Statuses[0])
	jiraSite := startEmulator(t, site, func() time.Time { return genNow })
	st, err := store.Open(filepath.Join(t.TempDir(), "metrics.db"), store.Options{Logger: quietLogger})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, st.Close()) })
	require.NoError(t, New(st, Options{Logger: quietLogger, Now: func() time.Time { return genNow }}).Run(context.Background(), "t1", jiraSite.client))

	md, err := st.Metadata("t1", site.Projects[0].ID)
	require.NoError(t, err)
	typeIDs := map[string]int{}
	for _, it := range md.IssueTypes {
		typeIDs[it.ID]++
	}
	statusIDs := map[string]int{}
	for _, s := range md.Statuses {
		statusIDs[s.ID]++
	}
	assert.Equal(t, 1, typeIDs[site.IssueTypes[0].ID], "a repeated issue type id is listed once")
	assert.Equal(t, 1, statusIDs[site.Statuses[0].ID], "a repeated status id is listed once")
	for _, it := range md.IssueTypes {
		assert.NotEqual(t, "Second name", it.Name, "the first name is kept")
	}
}
