package access_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/jira"
)

// fakeJira serves POST /rest/api/3/permissions/check from a table of grants per Bearer token.
type fakeJira struct {
	mu     sync.Mutex
	grants map[string]map[int64]bool // token -> project -> browse
	fail   bool
	calls  atomic.Int64
}

func (f *fakeJira) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if r.Method != http.MethodPost || r.URL.Path != "/rest/api/3/permissions/check" {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		http.Error(w, `{"errorMessages":["internal error"]}`, http.StatusInternalServerError)
		return
	}
	var body struct {
		ProjectPermissions []struct {
			Permissions []string `json:"permissions"`
			Projects    []int64  `json:"projects"`
		} `json:"projectPermissions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, `{"errorMessages":["bad body"]}`, http.StatusBadRequest)
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	type grant struct {
		Permission string  `json:"permission"`
		Projects   []int64 `json:"projects"`
	}
	var out []grant
	for _, pp := range body.ProjectPermissions {
		for _, perm := range pp.Permissions {
			g := grant{Permission: perm, Projects: []int64{}}
			for _, p := range pp.Projects {
				if f.grants[token][p] {
					g.Projects = append(g.Projects, p)
				}
			}
			out = append(out, g)
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"projectPermissions": out})
}

func (f *fakeJira) set(token string, project int64, granted bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.grants[token] == nil {
		f.grants[token] = map[int64]bool{}
	}
	f.grants[token][project] = granted
}

func (f *fakeJira) setFail(fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) Advance(d time.Duration) { c.now = c.now.Add(d) }

type fixture struct {
	jira  *fakeJira
	clock *clock
	gate  *access.Gate
	url   string
}

func newFixture(t *testing.T, opts access.Options) *fixture {
	t.Helper()
	f := &fixture{jira: &fakeJira{grants: map[string]map[int64]bool{}}, clock: &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}}
	server := httptest.NewServer(f.jira)
	t.Cleanup(server.Close)
	f.url = server.URL
	opts.Now = f.clock.Now
	opts.Logger = slog.New(slog.DiscardHandler)
	f.gate = access.NewGate(opts)
	return f
}

// checker returns a real Jira client that sends token as the viewer's Bearer token.
func (f *fixture) checker(t *testing.T, token string) access.Checker {
	t.Helper()
	client, err := jira.NewBearer(f.url, token, jira.Options{MaxAttempts: 1})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	return client
}

var alice = access.Viewer{Installation: "install-a", AccountID: "alice"}

func TestRequireGrantsBrowsableProject(t *testing.T) {
	f := newFixture(t, access.Options{})
	f.jira.set("alice-token", 10000, true)

	err := f.gate.Require(t.Context(), alice, f.checker(t, "alice-token"), access.BrowseProjects, []string{"10000"})

	assert.NoError(t, err)
	assert.Equal(t, int64(1), f.jira.calls.Load())
}

func TestRequireDeniesProjectWithoutPermission(t *testing.T) {
	f := newFixture(t, access.Options{})
	f.jira.set("alice-token", 10000, true)

	err := f.gate.Require(t.Context(), alice, f.checker(t, "alice-token"), access.BrowseProjects, []string{"10000", "10001"})

	require.ErrorIs(t, err, access.ErrDenied)
	var denied *access.DeniedError
	require.ErrorAs(t, err, &denied)
	assert.Equal(t, []string{"10001"}, denied.ProjectIDs)
	assert.Equal(t, int64(1), f.jira.calls.Load(), "all projects are checked in one call")
}

func TestRequireUsesCacheWithinTTL(t *testing.T) {
	f := newFixture(t, access.Options{TTL: time.Minute})
	f.jira.set("alice-token", 10000, true)
	checker := f.checker(t, "alice-token")

	require.NoError(t, f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"}))
	f.clock.Advance(59 * time.Second)
	require.NoError(t, f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"}))

	assert.Equal(t, int64(1), f.jira.calls.Load())
}

func TestRequireStopsRevokedGrantWithinTTL(t *testing.T) {
	f := newFixture(t, access.Options{TTL: time.Minute})
	f.jira.set("alice-token", 10000, true)
	checker := f.checker(t, "alice-token")
	require.NoError(t, f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"}))

	f.jira.set("alice-token", 10000, false)
	f.clock.Advance(time.Minute)
	err := f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"})

	assert.ErrorIs(t, err, access.ErrDenied)
}

func TestDenialNeverCachedLongerThanGrant(t *testing.T) {
	f := newFixture(t, access.Options{TTL: 10 * time.Second, DenialTTL: time.Hour})
	checker := f.checker(t, "alice-token")
	require.ErrorIs(t, f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"}), access.ErrDenied)

	f.jira.set("alice-token", 10000, true)
	f.clock.Advance(10 * time.Second)
	err := f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"})

	assert.NoError(t, err)
}

func TestDenialExpiresAfterDenialTTL(t *testing.T) {
	f := newFixture(t, access.Options{TTL: time.Minute, DenialTTL: 5 * time.Second})
	checker := f.checker(t, "alice-token")
	require.ErrorIs(t, f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"}), access.ErrDenied)

	f.jira.set("alice-token", 10000, true)
	f.clock.Advance(5 * time.Second)

	assert.NoError(t, f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"}))
	assert.Equal(t, int64(2), f.jira.calls.Load())
}

func TestRequireFailsClosedOnJiraError(t *testing.T) {
	f := newFixture(t, access.Options{})
	f.jira.set("alice-token", 10000, true)
	f.jira.setFail(true)
	checker := f.checker(t, "alice-token")

	err := f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"})
	require.ErrorIs(t, err, access.ErrUnavailable)
	assert.NotErrorIs(t, err, access.ErrDenied)

	f.jira.setFail(false)
	assert.NoError(t, f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"}), "a failure is not cached")
}

func TestRequireFailsClosedWithoutChecker(t *testing.T) {
	f := newFixture(t, access.Options{})

	err := f.gate.Require(t.Context(), alice, nil, access.BrowseProjects, []string{"10000"})

	assert.ErrorIs(t, err, access.ErrUnavailable)
}

func TestRequireFailsClosedWithoutAccount(t *testing.T) {
	f := newFixture(t, access.Options{})
	f.jira.set("alice-token", 10000, true)

	err := f.gate.Require(t.Context(), access.Viewer{Installation: "install-a"}, f.checker(t, "alice-token"), access.BrowseProjects, []string{"10000"})

	assert.ErrorIs(t, err, access.ErrUnavailable)
}

func TestCacheSeparatesViewersAndPermissions(t *testing.T) {
	f := newFixture(t, access.Options{})
	f.jira.set("alice-token", 10000, true)
	require.NoError(t, f.gate.Require(t.Context(), alice, f.checker(t, "alice-token"), access.BrowseProjects, []string{"10000"}))

	cases := []struct {
		name       string
		viewer     access.Viewer
		permission string
	}{
		{"other account", access.Viewer{Installation: "install-a", AccountID: "bob"}, access.BrowseProjects},
		{"same account in other installation", access.Viewer{Installation: "install-b", AccountID: "alice"}, access.BrowseProjects},
		{"other permission", alice, access.AdministerProjects},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := f.gate.Require(t.Context(), tc.viewer, f.checker(t, "bob-token"), tc.permission, []string{"10000"})
			assert.ErrorIs(t, err, access.ErrDenied)
		})
	}
}

func TestFilterKeepsOrderAndDropsDuplicates(t *testing.T) {
	f := newFixture(t, access.Options{})
	for _, p := range []int64{10000, 10002, 10003} {
		f.jira.set("alice-token", p, true)
	}
	ids := []string{"10003", "10001", "10000", "10003", "10002"}

	granted, err := f.gate.Filter(t.Context(), alice, f.checker(t, "alice-token"), access.BrowseProjects, ids)

	require.NoError(t, err)
	assert.Equal(t, []string{"10003", "10000", "10002"}, granted)
}

func TestCacheEvictsWhenFull(t *testing.T) {
	f := newFixture(t, access.Options{MaxEntries: 3})
	checker := f.checker(t, "alice-token")
	for i := range 5 {
		f.jira.set("alice-token", int64(10000+i), true)
		require.NoError(t, f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{strconv.Itoa(10000 + i)}))
	}
	calls := f.jira.calls.Load()

	require.NoError(t, f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10004"}))

	assert.Equal(t, calls, f.jira.calls.Load(), "the newest decision survives eviction")
}

func TestForgetDropsInstallation(t *testing.T) {
	f := newFixture(t, access.Options{})
	f.jira.set("alice-token", 10000, true)
	checker := f.checker(t, "alice-token")
	require.NoError(t, f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"}))

	f.gate.Forget("install-a")
	require.NoError(t, f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"}))

	assert.Equal(t, int64(2), f.jira.calls.Load())
}
