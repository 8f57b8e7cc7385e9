package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/forge/forgetest"
	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/server"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// Installations, viewers and projects of the fixture. Both installations have a project 10000,
// with different data, and only installation B has project 20000.
const (
	installA   = "ari:cloud:ecosystem::installation/aaaa"
	installB   = "ari:cloud:ecosystem::installation/bbbb"
	projectEE  = "10000"
	projectOps = "20000"
	aliceToken = "user-token-alice"
	bobToken   = "user-token-bob"
	adminToken = "user-token-admin"
)

var fixtureNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// permissionJira serves POST .../rest/api/3/permissions/check from a table of grants per
// Bearer token and permission, and counts the calls.
type permissionJira struct {
	mu     sync.Mutex
	grants map[string]map[string]bool // token -> "PERMISSION/projectId" -> granted
	fail   bool
	calls  atomic.Int64
}

func (p *permissionJira) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.calls.Add(1)
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/rest/api/3/permissions/check") {
		http.Error(w, `{"errorMessages":["not found"]}`, http.StatusNotFound)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		http.Error(w, `{"errorMessages":["internal server error"]}`, http.StatusInternalServerError)
		return
	}
	var body struct {
		ProjectPermissions []struct {
			Permissions []string `json:"permissions"`
			Projects    []int64  `json:"projects"`
		} `json:"projectPermissions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, `{"errorMessages":["invalid body"]}`, http.StatusBadRequest)
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	type grant struct {
		Permission string  `json:"permission"`
		Projects   []int64 `json:"projects"`
	}
	out := []grant{}
	for _, pp := range body.ProjectPermissions {
		for _, permission := range pp.Permissions {
			g := grant{Permission: permission, Projects: []int64{}}
			for _, id := range pp.Projects {
				if p.grants[token][permission+"/"+strconv.FormatInt(id, 10)] {
					g.Projects = append(g.Projects, id)
				}
			}
			out = append(out, g)
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"projectPermissions": out})
}

func (p *permissionJira) grant(token, permission, projectID string, granted bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.grants[token] == nil {
		p.grants[token] = map[string]bool{}
	}
	p.grants[token][permission+"/"+projectID] = granted
}

func (p *permissionJira) setFail(fail bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = fail
}

// syncBuffer is a log destination that tests read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a running server with real token verification, a real store and a real Jira
// client against a loopback permission endpoint.
type fixture struct {
	issuer    *forgetest.Issuer
	jira      *permissionJira
	jiraURL   string
	store     *store.Store
	clock     *clock
	logs      *syncBuffer
	url       string
	recompute func(inv forge.Invocation) bool
	// recomputes counts the calls of Config.Recompute.
	recomputes atomic.Int64
}

type fixtureOptions struct {
	recompute func(inv forge.Invocation) bool
}

func newFixture(t *testing.T, opts fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{
		issuer: forgetest.NewIssuer(t),
		jira:   &permissionJira{grants: map[string]map[string]bool{}},
		clock:  &clock{now: fixtureNow},
		logs:   &syncBuffer{},
	}
	jiraServer := httptest.NewServer(f.jira)
	t.Cleanup(jiraServer.Close)
	f.jiraURL = jiraServer.URL
	jiraHost := strings.TrimPrefix(jiraServer.URL, "http://")

	logger := slog.New(server.RequestAttrs(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	verifier, err := forge.NewVerifier(t.Context(), forge.Options{
		AppID:               forgetest.AppID,
		JWKSURL:             f.issuer.JWKSURL(),
		APIHosts:            []string{jiraHost},
		AllowHTTPAPIBaseURL: true,
		Logger:              logger,
		Now:                 f.clock.Now,
	})
	require.NoError(t, err)

	f.store, err = store.Open(t.TempDir()+"/metrics.db", store.Options{Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, f.store.Check())
		require.NoError(t, f.store.Close())
	})
	seedStore(t, f.store)

	f.recompute = opts.recompute
	if f.recompute == nil {
		f.recompute = func(forge.Invocation) bool { return true }
	}
	httpClient := &http.Client{Timeout: 5 * time.Second}
	srv, err := server.New(server.Config{
		Logger:   logger,
		Store:    f.store,
		Verifier: verifier,
		Gate:     access.NewGate(access.Options{TTL: time.Minute, Logger: logger, Now: f.clock.Now}),
		NewChecker: func(ctx context.Context, inv forge.Invocation) (access.Checker, error) {
			return jira.NewBearer(inv.APIBaseURL, inv.UserToken(), jira.Options{HTTPClient: httpClient, MaxAttempts: 1, Logger: server.LoggerFrom(ctx)})
		},
		Recompute: func(inv forge.Invocation) bool {
			f.recomputes.Add(1)
			return f.recompute(inv)
		},
		Now: f.clock.Now,
	})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

// seedStore stores project 10000 in both installations, with different deployment counts (3 in
// A, 7 in B), and project 20000 in B only.
func seedStore(t *testing.T, st *store.Store) {
	t.Helper()
	put := func(tenant string, project dora.Project, deployments int) {
		report := store.StoredReport{
			Report: dora.Report{
				Project:             project,
				Window:              dora.WindowJSON{From: "2026-09-01", To: "2026-12-01", TimeZone: "UTC"},
				DeploymentFrequency: dora.DeploymentFrequency{Count: deployments},
			},
			Evidence: dora.Evidence{Deployments: []dora.DeploymentEvidence{{ID: "v-" + tenant[len(tenant)-4:], Name: "1.0"}}},
		}
		data := sampleData(project)
		require.NoError(t, st.ReplaceProject(tenant, store.ProjectUpdate{
			Project:    project,
			Statuses:   data.Statuses,
			IssueTypes: data.IssueTypes,
			Versions:   data.Versions,
			FullIssues: true,
			Upserts:    data.Issues,
			Sync:       store.SyncState{SiteTimeZone: "UTC"},
			Reports:    map[int]store.StoredReport{7: report, 30: report, 90: report, 180: report, 365: report},
		}))
	}
	put(installA, dora.Project{ID: projectEE, Key: "EE", Name: "Alpha EE"}, 3)
	put(installB, dora.Project{ID: projectEE, Key: "EE", Name: "Beta EE"}, 7)
	put(installB, dora.Project{ID: projectOps, Key: "OPS", Name: "Beta Ops"}, 1)
	// Both installations have finished their first sync.
	for _, tenant := range []string{installA, installB} {
		require.NoError(t, st.PutTenantSync(tenant, store.TenantSync{FinishedAt: fixtureNow.Add(-time.Hour)}))
	}
}

// sampleData is a project with one released version (2026-11-10) that ships one done story.
func sampleData(project dora.Project) dora.ProjectData {
	at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }
	return dora.ProjectData{
		Project:    project,
		Statuses:   map[string]dora.StatusCategory{"1": dora.CategoryNew, "3": dora.CategoryIndeterminate, "5": dora.CategoryDone},
		IssueTypes: map[string]dora.IssueType{"10": {ID: "10", UntranslatedName: "Story"}},
		Versions:   []dora.Version{{ID: "100", Name: "1.0", Released: true, ReleaseDate: dora.Date{Year: 2026, Month: 11, Day: 10}}},
		Issues: []dora.Issue{{
			ID: "5001", Key: project.Key + "-1", TypeID: "10", StatusID: "5",
			Created: at(1, 9), Resolved: at(9, 17),
			FixVersionIDs: []string{"100"},
			Transitions:   []dora.Transition{{At: at(2, 9), From: "1", To: "3"}, {At: at(9, 17), From: "3", To: "5"}},
		}},
	}
}

// viewer returns the claims of a gadget call by the viewer with userToken's account.
func (f *fixture) viewer(installation, account string) forgetest.Invocation {
	return forgetest.Invocation{
		InstallationID: installation,
		APIBaseURL:     f.jiraURL + "/ex/jira/cloud-" + installation[len(installation)-4:],
		AccountID:      account,
		ModuleKey:      "dora-metrics-gadget",
	}
}

func (f *fixture) token(t *testing.T, inv forgetest.Invocation) string {
	t.Helper()
	return f.issuer.Token(t, inv, f.clock.Now())
}

// reply is a decoded server reply.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(r.body, &v), "body: %s", r.body)
	return v
}

// errorCode returns error.code of a JSON error body.
func (r reply) errorCode(t *testing.T) string {
	t.Helper()
	body := r.json(t)
	errObj, ok := body["error"].(map[string]any)
	require.True(t, ok, "body has no error object: %s", r.body)
	code, _ := errObj["code"].(string)
	return code
}

type request struct {
	method    string
	path      string
	token     string
	userToken string
	body      io.Reader
	header    map[string]string
}

func (f *fixture) do(t *testing.T, req request) reply {
	t.Helper()
	if req.method == "" {
		req.method = http.MethodGet
	}
	httpReq, err := http.NewRequestWithContext(context.Background(), req.method, f.url+req.path, req.body)
	require.NoError(t, err)
	if req.token != "" {
		httpReq.Header.Set("Authorization", "Bearer "+req.token)
	}
	if req.userToken != "" {
		httpReq.Header.Set("X-Forge-Oauth-User", req.userToken)
	}
	for k, v := range req.header {
		httpReq.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(httpReq)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }() // read in full below, so a close error loses nothing
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: body}
}

// get sends a gadget GET as account of installation, with userToken as its Jira token.
func (f *fixture) get(t *testing.T, installation, account, userToken, path string, query url.Values) reply {
	t.Helper()
	if query != nil {
		path += "?" + query.Encode()
	}
	return f.do(t, request{path: path, token: f.token(t, f.viewer(installation, account)), userToken: userToken})
}
