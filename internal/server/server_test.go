package server_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/forge/forgetest"
)

func reportQuery(project, window string) url.Values {
	return url.Values{"project": {project}, "window": {window}}
}

func TestReportAcceptsValidToken(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)

	got := f.get(t, installA, "alice", aliceToken, "/forge/gadget/report", reportQuery(projectEE, "90"))

	require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
	body := got.json(t)
	assert.Equal(t, "Alpha EE", body["project"].(map[string]any)["name"])
	assert.EqualValues(t, 3, body["deploymentFrequency"].(map[string]any)["count"])
}

func TestReportDefaultsToGadgetConfiguration(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	inv := f.viewer(installA, "alice")
	inv.GadgetConfiguration = map[string]any{"projects": []string{projectEE}, "window": 30, "metric": "leadTimeForChanges"}

	got := f.do(t, request{path: "/forge/gadget/report", token: f.token(t, inv), userToken: aliceToken})

	require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
	assert.EqualValues(t, 3, got.json(t)["deploymentFrequency"].(map[string]any)["count"])
}

func TestForgeRoutesRejectInvalidTokens(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	valid := func() jwt.MapClaims { return forgetest.Claims(f.viewer(installA, "alice"), f.clock.Now()) }
	with := func(key string, value any) jwt.MapClaims {
		claims := valid()
		claims[key] = value
		return claims
	}

	cases := []struct {
		name  string
		token func(t *testing.T) string
	}{
		{"bad signature", func(t *testing.T) string {
			token := jwt.NewWithClaims(jwt.SigningMethodRS256, valid())
			token.Header["kid"] = f.issuer.KID
			signed, err := token.SignedString(otherKey)
			require.NoError(t, err)
			return signed
		}},
		{"unknown kid", func(t *testing.T) string { return f.issuer.SignWithKID(t, valid(), "rotated-away") }},
		{"expired", func(t *testing.T) string {
			return f.issuer.Sign(t, with("exp", f.clock.Now().Add(-time.Minute).Unix()))
		}},
		{"not yet valid", func(t *testing.T) string { return f.issuer.Sign(t, with("nbf", f.clock.Now().Add(time.Minute).Unix())) }},
		{"wrong aud", func(t *testing.T) string { return f.issuer.Sign(t, with("aud", "ari:cloud:ecosystem::app/other")) }},
		{"wrong iss", func(t *testing.T) string { return f.issuer.Sign(t, with("iss", "someone-else")) }},
		{"alg none", func(t *testing.T) string {
			token := jwt.NewWithClaims(jwt.SigningMethodNone, valid())
			signed, err := token.SignedString(jwt.UnsafeAllowNoneSignatureType)
			require.NoError(t, err)
			return signed
		}},
		{"HS256 signed with the public key", func(t *testing.T) string {
			der, err := x509.MarshalPKIXPublicKey(&f.issuer.Key.PublicKey)
			require.NoError(t, err)
			token := jwt.NewWithClaims(jwt.SigningMethodHS256, valid())
			token.Header["kid"] = f.issuer.KID
			signed, err := token.SignedString(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
			require.NoError(t, err)
			return signed
		}},
		{"UI route without principal", func(t *testing.T) string {
			inv := f.viewer(installA, "")
			return f.issuer.Token(t, inv, f.clock.Now())
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			token := tc.token(t)

			got := f.do(t, request{path: "/forge/gadget/report?project=10000&window=90", token: token, userToken: aliceToken})

			assert.Equal(t, http.StatusUnauthorized, got.status)
			assert.Equal(t, "unauthorized", got.errorCode(t))
			assert.NotContains(t, string(got.body), "deploymentFrequency")
			assert.NotContains(t, f.logs.String(), token)
			assert.NotContains(t, f.logs.String(), aliceToken)
		})
	}

	t.Run("missing Authorization header", func(t *testing.T) {
		got := f.do(t, request{path: "/forge/gadget/report?project=10000&window=90"})

		assert.Equal(t, http.StatusUnauthorized, got.status)
		assert.Equal(t, "unauthorized", got.errorCode(t))
	})
}

func TestReportForbiddenWithoutBrowsePermission(t *testing.T) {
	f := newFixture(t, fixtureOptions{})

	got := f.get(t, installA, "bob", bobToken, "/forge/gadget/report", reportQuery(projectEE, "90"))

	assert.Equal(t, http.StatusForbidden, got.status)
	assert.Equal(t, "forbidden", got.errorCode(t))
	assert.NotContains(t, string(got.body), "deploymentFrequency")
	assert.NotContains(t, string(got.body), "Alpha EE")
}

func TestUnsyncedProjectIDIsCheckedBeforeNotFound(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, "30000", true)

	denied := f.get(t, installA, "alice", aliceToken, "/forge/gadget/report", reportQuery("40000", "90"))
	assert.Equal(t, http.StatusForbidden, denied.status)

	granted := f.get(t, installA, "alice", aliceToken, "/forge/gadget/report", reportQuery("30000", "90"))
	assert.Equal(t, http.StatusNotFound, granted.status)
	assert.Equal(t, "not_found", granted.errorCode(t))
}

func TestReportUnavailableWhenPermissionCheckFails(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	f.jira.setFail(true)

	got := f.do(t, request{path: "/forge/gadget/report?project=10000&window=90",
		token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken,
		header: map[string]string{"X-Request-Id": "req-fail", "X-B3-Traceid": "abc123"}})

	assert.Equal(t, http.StatusServiceUnavailable, got.status)
	assert.Equal(t, "unavailable", got.errorCode(t))
	assert.NotContains(t, string(got.body), "deploymentFrequency")
	var gateLines int
	for _, line := range strings.Split(f.logs.String(), "\n") {
		if strings.Contains(line, `msg="permission check failed"`) {
			gateLines++
			assert.Contains(t, line, "request_id=req-fail trace_id=abc123")
		}
	}
	assert.Equal(t, 1, gateLines)
}

func TestReportUnavailableWithoutUserToken(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)

	got := f.get(t, installA, "alice", "", "/forge/gadget/report", reportQuery(projectEE, "90"))

	assert.Equal(t, http.StatusServiceUnavailable, got.status)
	assert.NotContains(t, string(got.body), "deploymentFrequency")
}

func TestRevokedGrantStopsDataWithinCacheTTL(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	require.Equal(t, http.StatusOK, f.get(t, installA, "alice", aliceToken, "/forge/gadget/report", reportQuery(projectEE, "90")).status)

	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, false)
	f.clock.Advance(time.Minute)
	got := f.get(t, installA, "alice", aliceToken, "/forge/gadget/report", reportQuery(projectEE, "90"))

	assert.Equal(t, http.StatusForbidden, got.status)
	assert.NotContains(t, string(got.body), "deploymentFrequency")
}

func TestInstallationNeverReadsAnotherInstallationsData(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, project := range []string{projectEE, projectOps} {
		f.jira.grant(aliceToken, access.BrowseProjects, project, true)
	}

	t.Run("same project id reads own data", func(t *testing.T) {
		got := f.get(t, installA, "alice", aliceToken, "/forge/gadget/report", reportQuery(projectEE, "90"))

		require.Equal(t, http.StatusOK, got.status)
		assert.Equal(t, "Alpha EE", got.json(t)["project"].(map[string]any)["name"])
		assert.EqualValues(t, 3, got.json(t)["deploymentFrequency"].(map[string]any)["count"])
	})
	t.Run("project only in the other installation", func(t *testing.T) {
		got := f.get(t, installA, "alice", aliceToken, "/forge/gadget/report", reportQuery(projectOps, "90"))

		assert.Equal(t, http.StatusNotFound, got.status)
		assert.NotContains(t, string(got.body), "Beta")
	})
	t.Run("project list", func(t *testing.T) {
		got := f.get(t, installA, "alice", aliceToken, "/forge/gadget/projects", nil)

		require.Equal(t, http.StatusOK, got.status)
		assert.Contains(t, string(got.body), "Alpha EE")
		assert.NotContains(t, string(got.body), "Beta")
	})
	t.Run("drill-down", func(t *testing.T) {
		query := reportQuery(projectEE, "90")
		query.Set("metric", "deploymentFrequency")
		got := f.get(t, installA, "alice", aliceToken, "/forge/gadget/drilldown", query)

		require.Equal(t, http.StatusOK, got.status)
		assert.Contains(t, string(got.body), "v-aaaa")
		assert.NotContains(t, string(got.body), "v-bbbb")
	})
	t.Run("settings", func(t *testing.T) {
		f.jira.grant(aliceToken, access.AdministerProjects, projectEE, true)
		put := f.do(t, request{method: http.MethodPut, path: "/forge/projects/10000/settings",
			token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken, body: strings.NewReader(`{"timeZone":"Asia/Tokyo"}`)})
		require.Equal(t, http.StatusOK, put.status, "body: %s", put.body)

		cfgB, _, err := f.store.Settings(installB, projectEE)
		require.NoError(t, err)
		assert.Empty(t, cfgB.TimeZone)
	})
	t.Run("uninstall", func(t *testing.T) {
		trigger := forgetest.Invocation{InstallationID: installA, APIBaseURL: f.viewer(installA, "").APIBaseURL}
		got := f.do(t, request{method: http.MethodPost, path: "/forge/lifecycle/uninstalled", token: f.token(t, trigger)})
		require.Equal(t, http.StatusAccepted, got.status)

		projectsA, err := f.store.Projects(installA)
		require.NoError(t, err)
		assert.Empty(t, projectsA)
		projectsB, err := f.store.Projects(installB)
		require.NoError(t, err)
		assert.Len(t, projectsB, 2)
	})
}

func TestProjectsListsOnlyBrowsableProjects(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(bobToken, access.BrowseProjects, projectOps, true)

	got := f.get(t, installB, "bob", bobToken, "/forge/gadget/projects", nil)

	require.Equal(t, http.StatusOK, got.status)
	projects := got.json(t)["projects"].([]any)
	require.Len(t, projects, 1)
	assert.Equal(t, "OPS", projects[0].(map[string]any)["key"])
	assert.EqualValues(t, 1, f.jira.calls.Load(), "every project is checked in one Jira call")
}

func TestCustomWindowComputedOnRequest(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	query := url.Values{"project": {"EE"}, "from": {"2026-11-01"}, "to": {"2026-12-01"}}

	got := f.get(t, installA, "alice", aliceToken, "/forge/gadget/report", query)

	require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
	body := got.json(t)
	assert.EqualValues(t, 1, body["deploymentFrequency"].(map[string]any)["count"])
	assert.Equal(t, "2026-11-01", body["window"].(map[string]any)["from"])
	assert.Equal(t, fixtureNow.Format(time.RFC3339), body["computedAt"])
}

func TestDrilldownListsEvidenceOfMetric(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	query := url.Values{"project": {projectEE}, "from": {"2026-11-01"}, "to": {"2026-12-01"}, "metric": {"leadTimeForChanges"}}

	got := f.get(t, installA, "alice", aliceToken, "/forge/gadget/drilldown", query)

	require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
	changes := got.json(t)["changes"].([]any)
	require.Len(t, changes, 1)
	assert.Equal(t, "EE-1", changes[0].(map[string]any)["key"])
}

func TestRequestValidation(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)

	cases := []struct {
		name   string
		path   string
		status int
		code   string
		names  string
	}{
		{"missing project", "/forge/gadget/report?window=90", 400, "invalid", "missing project"},
		{"bad window", "/forge/gadget/report?project=10000&window=12", 400, "invalid", `"12"`},
		{"window and dates", "/forge/gadget/report?project=10000&window=30&from=2026-01-01&to=2026-02-01", 400, "invalid", "window=30"},
		{"bad date", "/forge/gadget/report?project=10000&from=2026-13-01&to=2026-12-01", 400, "invalid", "2026-13-01"},
		{"from after to", "/forge/gadget/report?project=10000&from=2026-12-01&to=2026-11-01", 400, "invalid", "must be before"},
		{"bad time zone", "/forge/gadget/report?project=10000&from=2026-11-01&to=2026-12-01&timeZone=Mars/Base", 400, "invalid", "Mars/Base"},
		{"bad project", "/forge/gadget/report?project=%3Cscript%3E&window=90", 400, "invalid", "invalid project"},
		{"unknown project", "/forge/gadget/report?project=NOPE&window=90", 404, "not_found", `"NOPE"`},
		{"bad metric", "/forge/gadget/drilldown?project=10000&window=90&metric=vibes", 400, "invalid", `"vibes"`},
		{"repeated parameter", "/forge/gadget/report?project=10000&project=20000", 400, "invalid", `"project"`},
		{"bad settings path", "/forge/projects/0123/settings", 400, "invalid", `"0123"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := f.do(t, request{path: tc.path, token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken})

			assert.Equal(t, tc.status, got.status, "body: %s", got.body)
			assert.Equal(t, tc.code, got.errorCode(t))
			assert.Contains(t, got.json(t)["error"].(map[string]any)["message"], tc.names)
		})
	}
}

func TestSettingsChangeNeedsAdministerProjects(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	put := func(body string) reply {
		return f.do(t, request{method: http.MethodPut, path: "/forge/projects/10000/settings",
			token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken, body: strings.NewReader(body)})
	}

	denied := put(`{"timeZone":"Asia/Tokyo"}`)
	assert.Equal(t, http.StatusForbidden, denied.status)
	assert.Contains(t, string(denied.body), access.AdministerProjects)

	f.jira.grant(aliceToken, access.AdministerProjects, projectEE, true)
	f.clock.Advance(time.Minute) // the denial above stays cached until then
	saved := put(`{"timeZone":"Asia/Tokyo","deploymentSource":"versions"}`)
	require.Equal(t, http.StatusOK, saved.status, "body: %s", saved.body)
	assert.Equal(t, "Asia/Tokyo", saved.json(t)["timeZone"])
	assert.EqualValues(t, 1, f.recomputes.Load(), "a settings change recomputes the stored reports")

	read := f.get(t, installA, "alice", aliceToken, "/forge/projects/10000/settings", nil)
	require.Equal(t, http.StatusOK, read.status)
	assert.Equal(t, "Asia/Tokyo", read.json(t)["timeZone"])

	invalid := put(`{"deploymentSource":"rockets"}`)
	assert.Equal(t, http.StatusBadRequest, invalid.status)
	assert.Contains(t, string(invalid.body), "rockets")

	unknown := put(`{"zone":"UTC"}`)
	assert.Equal(t, http.StatusBadRequest, unknown.status)
	assert.Contains(t, string(unknown.body), "zone")
}

func TestRequestBodyOverLimitGets413(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	f.jira.grant(aliceToken, access.AdministerProjects, projectEE, true)
	huge := `{"incidentJql":"` + strings.Repeat("x", 600<<10) + `"}`

	got := f.do(t, request{method: http.MethodPut, path: "/forge/projects/10000/settings",
		token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken, body: strings.NewReader(huge)})

	assert.Equal(t, http.StatusRequestEntityTooLarge, got.status)
	assert.Equal(t, "too_large", got.errorCode(t))
}

func TestUnknownRouteGetsJSON404(t *testing.T) {
	f := newFixture(t, fixtureOptions{})

	notFound := f.do(t, request{path: "/no/such/route"})
	assert.Equal(t, http.StatusNotFound, notFound.status)
	assert.Equal(t, "not_found", notFound.errorCode(t))

	forgeNotFound := f.do(t, request{path: "/forge/gadget/nope", token: f.token(t, f.viewer(installA, "alice"))})
	assert.Equal(t, http.StatusNotFound, forgeNotFound.status)
	assert.Equal(t, "not_found", forgeNotFound.errorCode(t))

	wrongMethod := f.do(t, request{method: http.MethodDelete, path: "/healthz"})
	assert.Equal(t, http.StatusMethodNotAllowed, wrongMethod.status)
	assert.Equal(t, "method_not_allowed", wrongMethod.errorCode(t))
}

func TestLogLinesCarryRequestAndTraceIDs(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)

	got := f.do(t, request{path: "/forge/gadget/report?project=10000&window=90",
		token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken,
		header: map[string]string{"X-B3-Traceid": "463ac35c9f6413ad48485a3953bb6124", "X-Request-Id": "req-42"}})
	require.Equal(t, http.StatusOK, got.status)

	assert.Equal(t, "req-42", got.header.Get("X-Request-Id"))
	var served int
	for _, line := range strings.Split(f.logs.String(), "\n") {
		if !strings.Contains(line, "request_id=req-42") {
			continue
		}
		assert.Contains(t, line, "trace_id=463ac35c9f6413ad48485a3953bb6124")
		if strings.Contains(line, `msg="request served"`) {
			served++
		}
	}
	assert.Equal(t, 1, served)
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	require.Equal(t, http.StatusOK, f.do(t, request{path: "/healthz"}).status)
	require.Equal(t, http.StatusOK, f.do(t, request{path: "/readyz"}).status)
	require.Equal(t, http.StatusUnauthorized, f.do(t, request{path: "/forge/gadget/projects"}).status)

	got := f.do(t, request{path: "/metrics"})

	require.Equal(t, http.StatusOK, got.status)
	assert.Contains(t, string(got.body), `devops_metrics_http_requests_total{code="200",method="GET",route="/healthz"} 1`)
	assert.Contains(t, string(got.body), `devops_metrics_forge_token_verifications_total{result="invalid"} 1`)
}

// TestReportServesNewReportsAtOnce checks that the report cache never outlives a write of the
// reports: a recompute and a refresh to a later instant both show on the next view.
func TestReportServesNewReportsAtOnce(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	view := func() map[string]any {
		got := f.get(t, installA, "alice", aliceToken, "/forge/gadget/report", reportQuery(projectEE, "90"))
		require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
		return got.json(t)
	}
	first := view()
	require.Equal(t, first, view(), "a second view is served from the cache")

	stored, err := f.store.Reports(installA, projectEE)
	require.NoError(t, err)
	recomputed := stored[90]
	recomputed.Report.DeploymentFrequency.Count = 42
	stored[90] = recomputed
	cfg, _, err := f.store.Settings(installA, projectEE)
	require.NoError(t, err)
	require.NoError(t, f.store.ReplaceReports(installA, projectEE, cfg, stored, f.clock.Now()))

	assert.EqualValues(t, 42, view()["deploymentFrequency"].(map[string]any)["count"], "the recompute shows at once")
}
