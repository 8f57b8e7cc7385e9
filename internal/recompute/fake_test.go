package recompute

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeSource is an in-memory Jira site. It runs the JQL `project = ID` and
// `project = ID AND updated >= "yyyy/MM/dd HH:mm"` (read in timeZone) and records every JQL.
type fakeSource struct {
	mu       sync.Mutex
	timeZone string
	projects []dora.Project
	versions map[string][]dora.Version
	issues   map[string]jira.FetchedIssue
	jqls     []string
	// gate, when not nil, blocks Myself until it is closed.
	gate chan struct{}
	// entered receives a value when Myself is called, when not nil.
	entered chan struct{}
	// failVersions makes Versions fail for these project ids.
	failVersions map[string]bool
	// onVersions, when not nil, runs at the start of every Versions call.
	onVersions  func()
	myselfCalls int
}

func newFakeSource() *fakeSource {
	return &fakeSource{
		timeZone: "Asia/Kolkata",
		projects: []dora.Project{{ID: "10001", Key: "OPS", Name: "Operations"}},
		versions: map[string][]dora.Version{"10001": {{ID: "20001", Name: "1.0", Released: true, ReleaseDate: dora.Date{Year: 2026, Month: 11, Day: 2}}}},
		issues:   map[string]jira.FetchedIssue{},
	}
}

func (f *fakeSource) put(id, projectID string, updated time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.issues[id] = jira.FetchedIssue{
		Issue:     dora.Issue{ID: id, Key: "OPS-" + id, TypeID: "1", StatusID: "3", Created: updated.Add(-time.Hour)},
		ProjectID: projectID,
		Updated:   updated,
	}
}

func (f *fakeSource) remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.issues, id)
}

func (f *fakeSource) takeJQLs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := f.jqls
	f.jqls = nil
	return list
}

func (f *fakeSource) Myself(ctx context.Context) (jira.Myself, error) {
	f.mu.Lock()
	f.myselfCalls++
	gate, entered := f.gate, f.entered
	f.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return jira.Myself{}, ctx.Err()
		}
	}
	return jira.Myself{AccountID: "app", TimeZone: f.timeZone}, nil
}

func (f *fakeSource) Projects(context.Context) ([]dora.Project, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.projects), nil
}

func (f *fakeSource) Statuses(context.Context) (map[string]dora.StatusCategory, error) {
	return map[string]dora.StatusCategory{"1": dora.CategoryNew, "3": dora.CategoryIndeterminate, "5": dora.CategoryDone}, nil
}

func (f *fakeSource) IssueTypes(context.Context) (map[string]dora.IssueType, error) {
	return map[string]dora.IssueType{"1": {ID: "1", UntranslatedName: "Story"}}, nil
}

func (f *fakeSource) Versions(_ context.Context, projectID string) ([]dora.Version, error) {
	if f.onVersions != nil {
		f.onVersions()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failVersions[projectID] {
		return nil, fmt.Errorf("versions of %s: 503 Service Unavailable", projectID)
	}
	return slices.Clone(f.versions[projectID]), nil
}

var fakeJQL = regexp.MustCompile(`^project = (\d+)(?: AND updated >= "([^"]+)")?$`)

func (f *fakeSource) match(jql string) ([]jira.FetchedIssue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jqls = append(f.jqls, jql)
	m := fakeJQL.FindStringSubmatch(jql)
	if m == nil {
		return nil, fmt.Errorf("fake source cannot run JQL %q", jql)
	}
	var since time.Time
	if m[2] != "" {
		loc, err := time.LoadLocation(f.timeZone)
		if err != nil {
			return nil, err
		}
		if since, err = time.ParseInLocation(jqlDateLayout, m[2], loc); err != nil {
			return nil, err
		}
	}
	var out []jira.FetchedIssue
	for _, is := range f.issues {
		if is.ProjectID == m[1] && !is.Updated.Before(since) {
			out = append(out, is)
		}
	}
	slices.SortFunc(out, func(a, b jira.FetchedIssue) int { return dora.CompareIDs(a.ID, b.ID) })
	return out, nil
}

func (f *fakeSource) SearchIssueIDs(_ context.Context, jql string) ([]string, error) {
	found, err := f.match(jql)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(found))
	for i, is := range found {
		ids[i] = is.ID
	}
	return ids, nil
}

func (f *fakeSource) FetchIssues(_ context.Context, jql string, progress func(fetched, total int)) ([]jira.FetchedIssue, error) {
	found, err := f.match(jql)
	if err != nil {
		return nil, err
	}
	if progress != nil {
		progress(len(found), len(found))
	}
	return found, nil
}

// openStore opens a store in a temporary folder and checks its consistency at cleanup.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "metrics.db"), store.Options{Logger: quietLogger})
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, st.Check())
		assert.NoError(t, st.Close())
	})
	return st
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func storedIDs(t *testing.T, st *store.Store, tenant, projectID string) []string {
	t.Helper()
	data, err := st.ProjectData(tenant, projectID)
	require.NoError(t, err)
	ids := make([]string, len(data.Issues))
	for i, is := range data.Issues {
		ids[i] = is.ID
	}
	return ids
}
