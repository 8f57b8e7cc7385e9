package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/forge/forgetest"
	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/server"
	"github.com/devops-metrics/devops-metrics/internal/store"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// A gadget user can send invokeRemote to any path of the remote, so a valid token with a
// principal must not reach the routes that Forge's trigger and events call.
func TestEventRoutesRejectViewerTokens(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)

	for _, path := range []string{"/forge/lifecycle/uninstalled", "/forge/lifecycle/installed", "/forge/triggers/recompute"} {
		t.Run(path, func(t *testing.T) {
			got := f.do(t, request{method: http.MethodPost, path: path, token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken})

			assert.Equal(t, http.StatusForbidden, got.status, "body: %s", got.body)
			assert.Equal(t, "forbidden", got.errorCode(t))
		})
	}

	t.Run("gadget token without a user token", func(t *testing.T) {
		got := f.do(t, request{method: http.MethodPost, path: "/forge/lifecycle/uninstalled", token: f.token(t, f.viewer(installA, "alice"))})

		assert.Equal(t, http.StatusForbidden, got.status, "body: %s", got.body)
	})

	projects, err := f.store.Projects(installA)
	require.NoError(t, err)
	assert.Len(t, projects, 1, "the installation's data is still stored")
	assert.Zero(t, f.recomputes.Load(), "no recompute started")

	t.Run("event token that names a user", func(t *testing.T) {
		claims := forgetest.Claims(forgetest.Invocation{InstallationID: installA, APIBaseURL: f.viewer(installA, "").APIBaseURL, AccountID: "admin"}, f.clock.Now())
		claims["app"].(map[string]any)["module"] = map[string]any{"type": "core:trigger", "key": "app-installed"}

		got := f.do(t, request{method: http.MethodPost, path: "/forge/lifecycle/installed", token: f.issuer.Sign(t, claims)})

		assert.Equal(t, http.StatusAccepted, got.status, "body: %s", got.body)
	})
	report := f.get(t, installA, "alice", aliceToken, "/forge/gadget/report", reportQuery(projectEE, "90"))
	assert.Equal(t, http.StatusOK, report.status)
}

// hostileJira returns a fixture whose server sends permission checks to a loopback Jira that
// handler serves. Its jiraURL is that Jira, so the fixture's tokens name it.
func hostileJira(t *testing.T, handler http.Handler) *fixture {
	t.Helper()
	f := newFixture(t, fixtureOptions{})
	jiraServer := httptest.NewServer(handler)
	t.Cleanup(jiraServer.Close)

	verifier, err := forge.NewVerifier(t.Context(), forge.Options{
		AppID:               forgetest.AppID,
		JWKSURL:             f.issuer.JWKSURL(),
		APIHosts:            []string{strings.TrimPrefix(jiraServer.URL, "http://")},
		AllowHTTPAPIBaseURL: true,
		Now:                 f.clock.Now,
	})
	require.NoError(t, err)

	httpClient := &http.Client{Timeout: 300 * time.Millisecond}
	srv, err := server.New(server.Config{
		Logger:   slog.New(slog.NewTextHandler(f.logs, nil)),
		Store:    f.store,
		Verifier: verifier,
		Gate:     access.NewGate(access.Options{TTL: time.Minute, Now: f.clock.Now}),
		NewChecker: func(ctx context.Context, inv forge.Invocation) (access.Checker, error) {
			return jira.NewBearer(inv.APIBaseURL, inv.UserToken(), jira.Options{HTTPClient: httpClient, MaxAttempts: 2,
				MaxBackoff: time.Millisecond, MaxRetryAfter: time.Second})
		},
		Recompute: func(forge.Invocation) bool { return true },
		Now:       f.clock.Now,
	})
	require.NoError(t, err)

	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	f.url = ts.URL
	f.jiraURL = jiraServer.URL
	return f
}

func TestPermissionCheckFailuresGive503(t *testing.T) {
	cases := []struct {
		name  string
		serve func(w http.ResponseWriter, r *http.Request)
	}{
		{"429 with long Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		}},
		{"429 without Retry-After", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }},
		{"truncated JSON", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"projectPermissions":[{"permission":"BROWSE_PROJECTS","projects":[10000`)
		}},
		{"wrong types", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"projectPermissions":{"permission":"BROWSE_PROJECTS"}}`)
		}},
		{"empty body", func(w http.ResponseWriter, r *http.Request) {}},
		{"HTML error page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html>maintenance</html>")
		}},
		{"401 for the viewer's token", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"errorMessages":["token expired"]}`)
		}},
		{"redirect to another host", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.2:1/rest/api/3/permissions/check", http.StatusTemporaryRedirect)
		}},
		{"reply slower than the client timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := hostileJira(t, http.HandlerFunc(tc.serve))
			for _, path := range []string{"/forge/gadget/report?project=10000&window=90", "/forge/gadget/report?project=EE&from=2026-01-01&to=2026-12-01",
				"/forge/gadget/drilldown?project=10000&window=90&metric=deploymentFrequency", "/forge/gadget/projects", "/forge/projects/10000/settings"} {
				got := f.do(t, request{path: path, token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken})

				assert.Equal(t, http.StatusServiceUnavailable, got.status, "%s: body: %s", path, got.body)
				assert.NotContains(t, string(got.body), "Alpha", path)
				assert.NotContains(t, string(got.body), "deploymentFrequency\":{", path)
			}
		})
	}
}

func TestProjectRefsOfDeniedProject(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(bobToken, access.BrowseProjects, projectEE, false)
	f.jira.grant(bobToken, access.BrowseProjects, projectOps, true)
	gadget := func(config map[string]any) string {
		inv := f.viewer(installB, "bob")
		inv.GadgetConfiguration = config
		return f.token(t, inv)
	}
	plain := func() string { return f.token(t, f.viewer(installB, "bob")) }

	cases := []struct {
		name  string
		path  string
		token func() string
	}{
		{"id", "/forge/gadget/report?project=10000&window=90", plain},
		{"key", "/forge/gadget/report?project=EE&window=90", plain},
		{"lower-case key", "/forge/gadget/report?project=ee&window=90", plain},
		{"id with leading zero", "/forge/gadget/report?project=010000&window=90", plain},
		{"id with plus sign", "/forge/gadget/report?project=%2B10000&window=90", plain},
		{"list of projects", "/forge/gadget/report?project=20000,10000&window=90", plain},
		{"key custom window", "/forge/gadget/report?project=EE&from=2026-01-01&to=2026-12-01", plain},
		{"custom window with time zone", "/forge/gadget/report?project=10000&from=2026-01-01&to=2026-12-01&timeZone=Asia/Tokyo", plain},
		{"drill-down by key", "/forge/gadget/drilldown?project=EE&window=90&metric=deploymentFrequency", plain},
		{"drill-down custom window", "/forge/gadget/drilldown?project=10000&from=2026-01-01&to=2026-12-01&metric=leadTimeForChanges", plain},
		{"settings", "/forge/projects/10000/settings", plain},
		{"metadata", "/forge/projects/10000/metadata", plain},
		{"gadget configuration project", "/forge/gadget/report", func() string { return gadget(map[string]any{"project": "EE"}) }},
		{"gadget configuration projects list", "/forge/gadget/report", func() string {
			return gadget(map[string]any{"projects": []any{10000, 20000}, "window": "90"})
		}},
		{"gadget configuration with query project", "/forge/gadget/report?project=EE", func() string {
			return gadget(map[string]any{"project": "20000"})
		}},
		{"semicolon query", "/forge/gadget/report?project=20000;project=10000&window=90", plain},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := f.do(t, request{path: tc.path, token: tc.token(), userToken: bobToken})

			assert.GreaterOrEqual(t, got.status, 400, "body: %s", got.body)
			assert.NotContains(t, string(got.body), "Beta EE")
			assert.NotContains(t, string(got.body), "v-bbbb")
			assert.NotContains(t, string(got.body), "EE-1")
		})
	}

	projects := f.get(t, installB, "bob", bobToken, "/forge/gadget/projects", nil)
	require.Equal(t, http.StatusOK, projects.status)
	assert.NotContains(t, string(projects.body), "Beta EE")
}

func TestSettingsRejectsHostileValues(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	f.jira.grant(aliceToken, access.AdministerProjects, projectEE, true)
	cases := []struct {
		name  string
		body  string
		names string
	}{
		{"incident JQL that leaves the project clause", `{"incidentJql":"priority = High) OR (project is not EMPTY"}`, "incidentJql"},
		{"regular expression that does not compile", `{"reworkVersionPattern":"hotfix(["}`, "reworkVersionPattern"},
		{"unknown time zone", `{"timeZone":"Mars/Olympus"}`, "Mars/Olympus"},
		{"time zone path", `{"timeZone":"../../../etc/passwd"}`, "timeZone"},
		{"unknown field", `{"timeZone":"UTC","installationId":"ari:cloud:ecosystem::installation/bbbb"}`, "installationId"},
		{"two objects", `{"timeZone":"UTC"}{"timeZone":"UTC"}`, "exactly one"},
		{"not an object", `["timeZone"]`, "invalid JSON body"},
		{"wrong type", `{"includeEpics":"yes"}`, "includeEpics"},
		{"invalid JSON", `{"timeZone":`, "invalid JSON body"},
		{"empty body", ``, "missing JSON body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := f.do(t, request{method: http.MethodPut, path: "/forge/projects/10000/settings",
				token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken, body: strings.NewReader(tc.body)})

			assert.Equal(t, http.StatusBadRequest, got.status, "body: %s", got.body)
			assert.Contains(t, string(got.body), tc.names)
		})
	}

	saved, _, err := f.store.Settings(installA, projectEE)
	require.NoError(t, err)
	assert.Empty(t, saved.IncidentJQL)
	assert.Zero(t, f.recomputes.Load())
}

// Anyone who reaches the server can send any method token, so the method label of the request
// metrics must come from a fixed set, or each new method would add series without bound.
func TestMetricsMethodLabelIsBounded(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, method := range []string{"X-CUSTOM-1", "X-CUSTOM-2", "PROPFIND", "get"} {
		for _, path := range []string{"/healthz", "/forge/gadget/report", "/no/such/route"} {
			f.do(t, request{method: method, path: path})
		}
	}

	got := f.do(t, request{path: "/metrics"})

	require.Equal(t, http.StatusOK, got.status)
	for _, method := range []string{"X-CUSTOM-1", "X-CUSTOM-2", "PROPFIND", `method="get"`} {
		assert.NotContains(t, string(got.body), method)
	}
	assert.Contains(t, string(got.body), `method="OTHER"`)
}

// Jira answers 404 for a project key the caller cannot browse, so the key of a synced project
// must not reveal the project, or its id, to a viewer without Browse Projects.
func TestDeniedProjectKeyLooksUnknown(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(bobToken, access.BrowseProjects, projectEE, false)
	unknown := f.get(t, installB, "bob", bobToken, "/forge/gadget/report", reportQuery("NOPE", "90"))
	require.Equal(t, http.StatusNotFound, unknown.status)

	for _, path := range []string{"/forge/gadget/report", "/forge/gadget/drilldown"} {
		query := reportQuery("EE", "90")
		query.Set("metric", "deploymentFrequency")

		got := f.get(t, installB, "bob", bobToken, path, query)

		assert.Equal(t, unknown.status, got.status, "body: %s", got.body)
		assert.Equal(t, unknown.errorCode(t), got.errorCode(t))
		assert.NotContains(t, string(got.body), projectEE)
		assert.NotContains(t, string(got.body), "Beta")
	}
}

func TestCustomWindowBounds(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	cases := []struct {
		from, to string
		status   int
	}{
		{"2026-12-01", "2026-11-01", http.StatusBadRequest},
		{"2026-11-01", "2026-11-01", http.StatusBadRequest},
		{"1926-01-01", "2026-01-01", http.StatusBadRequest},
		{"2016-01-01", "2026-01-10", http.StatusBadRequest},
		{"0001-01-01", "0001-02-01", http.StatusOK},
		{"9999-12-01", "9999-12-31", http.StatusOK},
		{"9999-12-31", "10000-01-01", http.StatusBadRequest},
		{"2026-1-1", "2026-02-01", http.StatusBadRequest},
		{"+2026-01-01", "2026-02-01", http.StatusBadRequest},
		{"2026-01-01T00:00:00Z", "2026-02-01", http.StatusBadRequest},
		{" 2026-01-01", "2026-02-01", http.StatusBadRequest},
		{"2026-02-30", "2026-03-01", http.StatusBadRequest},
		{"2026-01-01", "", http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.from+" to "+tc.to, func(t *testing.T) {
			query := url.Values{"project": {projectEE}, "from": {tc.from}, "to": {tc.to}}
			for _, path := range []string{"/forge/gadget/report", "/forge/gadget/drilldown"} {
				if path == "/forge/gadget/drilldown" {
					query.Set("metric", "leadTimeForChanges")
				}

				got := f.get(t, installA, "alice", aliceToken, path, query)

				assert.Equal(t, tc.status, got.status, "%s: body: %s", path, got.body)
			}
		})
	}
}

// Development mode answers without a token, so a web page that rebinds its own host name to
// 127.0.0.1 could read the reports unless the server rejects requests for other host names.
func TestDevModeRejectsForeignHostHeader(t *testing.T) {
	st, err := store.Open(t.TempDir()+"/metrics.db", store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	seedStore(t, st)
	srv, err := server.New(server.Config{
		Logger:     slog.New(slog.DiscardHandler),
		Store:      st,
		Gate:       access.NewGate(access.Options{Logger: slog.New(slog.DiscardHandler)}),
		NewChecker: func(context.Context, forge.Invocation) (access.Checker, error) { return grantAll{}, nil },
		Recompute:  func(forge.Invocation) bool { return true },
		Dev:        true,
		DevViewer:  forge.Invocation{InstallationID: installA, AccountID: "dev-viewer"},
	})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	port := ts.URL[strings.LastIndex(ts.URL, ":")+1:]

	send := func(host, path string) *http.Response {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+path, nil)
		require.NoError(t, err)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}

	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "127.0.0.1", "localhost"} {
		assert.Equal(t, http.StatusOK, send(host, "/forge/gadget/report?project=10000&window=90").StatusCode, host)
	}
	for _, host := range []string{"attacker.example:" + port, "attacker.example", "127.0.0.1.attacker.example:" + port, "localhost.attacker.example", "10.0.0.5:" + port} {
		for _, path := range []string{"/forge/gadget/report?project=10000&window=90", "/forge/gadget/projects", "/api/report?project=EE", "/"} {
			resp := send(host, path)

			assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s %s", host, path)
		}
	}
}

// grantAll grants every permission on every project.
type grantAll struct{}

func (grantAll) CheckProjectPermissions(_ context.Context, _ string, projectIDs []string) ([]string, error) {
	return projectIDs, nil
}

func TestChunkedBodyOverLimitGets413(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	f.jira.grant(aliceToken, access.AdministerProjects, projectEE, true)
	// A reader of unknown length makes the client send the body chunked, without Content-Length.
	body := io.MultiReader(strings.NewReader(`{"incidentJql":"`), strings.NewReader(strings.Repeat("x", 600<<10)), strings.NewReader(`"}`))

	got := f.do(t, request{method: http.MethodPut, path: "/forge/projects/10000/settings",
		token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken, body: body})

	assert.Equal(t, http.StatusRequestEntityTooLarge, got.status, "body: %s", got.body)
	assert.Equal(t, "too_large", got.errorCode(t))
	saved, _, err := f.store.Settings(installA, projectEE)
	require.NoError(t, err)
	assert.Empty(t, saved.IncidentJQL)
}

// Project 20000 exists only in installation B. A viewer of installation A whom Jira lets browse
// a project with that id still reads nothing of B through any project route.
func TestProjectRoutesStayInTheTokensInstallation(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectOps, true)
	f.jira.grant(aliceToken, access.AdministerProjects, projectOps, true)
	require.NoError(t, f.store.PutSettings(installB, projectOps, dora.Config{TimeZone: "Asia/Tokyo"}))

	for _, path := range []string{"/forge/projects/20000/metadata", "/forge/projects/20000/settings",
		"/forge/gadget/report?project=OPS&window=90", "/forge/gadget/report?project=20000&from=2026-01-01&to=2026-12-01",
		"/forge/gadget/drilldown?project=20000&window=90&metric=deploymentFrequency"} {
		got := f.get(t, installA, "alice", aliceToken, path, nil)

		assert.NotContains(t, string(got.body), "Beta", path)
		assert.NotContains(t, string(got.body), "Asia/Tokyo", path)
		assert.NotContains(t, string(got.body), "OPS-1", path)
	}

	put := f.do(t, request{method: http.MethodPut, path: "/forge/projects/20000/settings",
		token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken, body: strings.NewReader(`{"timeZone":"Europe/Berlin"}`)})
	require.Less(t, put.status, 500, "body: %s", put.body)
	cfgB, _, err := f.store.Settings(installB, projectOps)
	require.NoError(t, err)
	assert.Equal(t, "Asia/Tokyo", cfgB.TimeZone, "installation B's settings are unchanged")
}
