package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/forge/forgetest"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
)

// Sentinel secrets: values no output may contain. Each is unique enough that a match can only
// be a leak.
const (
	sentinelSystemToken    = "SENTINEL-system-token-5c1e9b7a"
	sentinelUserToken      = "SENTINEL-user-token-0d4f8e21"
	sentinelWrongUserToken = "SENTINEL-wrong-user-token-93ab6c"
	sentinelWrongSysToken  = "SENTINEL-wrong-system-token-71fe02"
	sentinelForgedToken    = "SENTINEL-forged-invocation-token-4a2d"
	sentinelAPIToken       = "SENTINEL-api-token-e6b3c18f"
	sentinelWrongAPIToken  = "SENTINEL-wrong-api-token-2f90d7"
)

// leakScan collects every output of a run (log lines, reply bodies, the metrics page, the
// store file) and the secrets that must not appear in any of them.
type leakScan struct {
	secrets []string
	outputs map[string][]byte
}

func newLeakScan(secrets ...string) *leakScan {
	return &leakScan{secrets: secrets, outputs: map[string][]byte{}}
}

// addSecret adds a secret made during the run, such as a signed invocation token. A JWT's
// signature is added on its own too, so a log of only that part is found as well.
func (l *leakScan) addSecret(secret string) string {
	l.secrets = append(l.secrets, secret)
	if i := strings.LastIndex(secret, "."); i >= 0 {
		l.secrets = append(l.secrets, secret[i+1:])
	}
	return secret
}

func (l *leakScan) add(name string, output []byte) {
	l.outputs[name] = append(l.outputs[name], output...)
	l.outputs[name] = append(l.outputs[name], '\n')
}

// assertNoLeak checks every output for every secret, each pair with its own assertion.
func (l *leakScan) assertNoLeak(t *testing.T) {
	t.Helper()
	require.NotEmpty(t, l.outputs)
	for name, output := range l.outputs {
		require.NotEmpty(t, output, "output %s was collected", name)
		for _, secret := range l.secrets {
			assert.NotContains(t, string(output), secret, "output %s contains a secret", name)
		}
	}
}

// reply sends a request and adds its body to the scan under name.
func (l *leakScan) reply(t *testing.T, srv *inProcessServer, name, method, path string, header map[string]string, payload string) int {
	t.Helper()
	status, body := srv.send(t, method, path, header, payload)
	l.add("reply body of "+name, body)
	return status
}

func TestForgeFlowLeaksNoSecret(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 11, Projects: 2, IssuesPerProject: 40, Now: time.Now().UTC().Truncate(time.Hour)})
	emulator := jiraemu.New(site, jiraemu.EmulatorOptions{BearerTokens: map[string]string{
		sentinelSystemToken: "app-account",
		sentinelUserToken:   "viewer-1",
	}})
	jiraServer := httptest.NewServer(emulator)
	t.Cleanup(jiraServer.Close)
	issuer := forgetest.NewIssuer(t)
	apiBase := jiraServer.URL + "/ex/jira/cloud-x"
	db := t.TempDir() + "/metrics.db"
	srv := startServer(t, nil, "--app-id", forgetest.AppID, "--jwks-url", issuer.JWKSURL(),
		"--allow-api-host", strings.TrimPrefix(jiraServer.URL, "http://"), "--insecure-testing", "--db", db, "--addr", "127.0.0.1:0")
	scan := newLeakScan(sentinelSystemToken, sentinelUserToken, sentinelWrongUserToken, sentinelWrongSysToken, sentinelForgedToken)
	invocation := func(inv forgetest.Invocation) string {
		return scan.addSecret(issuer.Token(t, inv, time.Now()))
	}
	const otherInstall = "ari:cloud:ecosystem::installation/yyyy"

	// The app is installed and syncs with the app's token.
	installed := map[string]string{"Authorization": "Bearer " + invocation(forgetest.Invocation{InstallationID: installX, APIBaseURL: apiBase}), "X-Forge-Oauth-System": sentinelSystemToken}
	require.Equal(t, http.StatusAccepted, scan.reply(t, srv, "installed", http.MethodPost, "/forge/lifecycle/installed", installed, ""))
	waitFor(t, "the first sync", func() bool { return srv.countLogs("recompute finished") > 0 })
	projectID := site.Projects[0].ID

	// The viewer reads every gadget route with the viewer's token.
	viewer := func() map[string]string {
		token := invocation(forgetest.Invocation{InstallationID: installX, APIBaseURL: apiBase, AccountID: "viewer-1"})
		return map[string]string{"Authorization": "Bearer " + token, "X-Forge-Oauth-User": sentinelUserToken}
	}
	assert.Equal(t, http.StatusOK, scan.reply(t, srv, "projects", http.MethodGet, "/forge/gadget/projects", viewer(), ""))
	assert.Equal(t, http.StatusOK, scan.reply(t, srv, "report", http.MethodGet, "/forge/gadget/report?window=90&project="+projectID, viewer(), ""))
	assert.Equal(t, http.StatusOK, scan.reply(t, srv, "drilldown", http.MethodGet, "/forge/gadget/drilldown?window=90&metric=deploymentFrequency&project="+projectID, viewer(), ""))
	assert.Equal(t, http.StatusOK, scan.reply(t, srv, "settings", http.MethodGet, "/forge/projects/"+projectID+"/settings", viewer(), ""))
	scan.reply(t, srv, "settings change", http.MethodPut, "/forge/projects/"+projectID+"/settings", viewer(), `{"deploymentSignal":"version"}`)

	// Failures: each error body and log line is scanned as well.
	// Another account, so that no cached decision of viewer-1 is reused for it.
	wrongUser := map[string]string{
		"Authorization":      "Bearer " + invocation(forgetest.Invocation{InstallationID: installX, APIBaseURL: apiBase, AccountID: "viewer-2"}),
		"X-Forge-Oauth-User": sentinelWrongUserToken,
	}
	assert.Equal(t, http.StatusServiceUnavailable, scan.reply(t, srv, "rejected viewer token", http.MethodGet, "/forge/gadget/report?window=90&project="+projectID, wrongUser, ""))
	noUser := viewer()
	delete(noUser, "X-Forge-Oauth-User")
	assert.Equal(t, http.StatusServiceUnavailable, scan.reply(t, srv, "missing viewer token", http.MethodGet, "/forge/gadget/projects", noUser, ""))
	forged := map[string]string{"Authorization": "Bearer " + sentinelForgedToken + ".e30.c2ln", "X-Forge-Oauth-User": sentinelUserToken}
	assert.Equal(t, http.StatusUnauthorized, scan.reply(t, srv, "forged invocation token", http.MethodGet, "/forge/gadget/projects", forged, ""))
	offList := map[string]string{"Authorization": "Bearer " + invocation(forgetest.Invocation{InstallationID: installX, APIBaseURL: "https://jira.example.com/ex/jira/cloud-x", AccountID: "viewer-1"}), "X-Forge-Oauth-User": sentinelUserToken}
	assert.Equal(t, http.StatusUnauthorized, scan.reply(t, srv, "API host off the allowlist", http.MethodGet, "/forge/gadget/projects", offList, ""))
	assert.Equal(t, http.StatusBadRequest, scan.reply(t, srv, "invalid window", http.MethodGet, "/forge/gadget/report?window=-1&project="+projectID, viewer(), ""))

	// A second installation's sync fails on a token Jira rejects, then it is uninstalled.
	other := map[string]string{"Authorization": "Bearer " + invocation(forgetest.Invocation{InstallationID: otherInstall, APIBaseURL: apiBase}), "X-Forge-Oauth-System": sentinelWrongSysToken}
	require.Equal(t, http.StatusAccepted, scan.reply(t, srv, "trigger with a rejected app token", http.MethodPost, "/forge/triggers/recompute", other, ""))
	waitFor(t, "the failed sync", func() bool { return srv.countLogs("recompute failed") > 0 })
	uninstall := map[string]string{"Authorization": "Bearer " + invocation(forgetest.Invocation{InstallationID: otherInstall, APIBaseURL: apiBase})}
	assert.Equal(t, http.StatusAccepted, scan.reply(t, srv, "uninstalled", http.MethodPost, "/forge/lifecycle/uninstalled", uninstall, ""))

	assert.Equal(t, http.StatusOK, scan.reply(t, srv, "metrics", http.MethodGet, "/metrics", nil, ""))
	require.NoError(t, srv.stop())
	scan.add("log", []byte(srv.logs.String()))
	scan.add("stdout", []byte(srv.stdout.String()))
	stored, err := os.ReadFile(db)
	require.NoError(t, err)
	require.Contains(t, string(stored), projectID, "the store file holds the synced project")
	scan.add("store file", stored)

	scan.assertNoLeak(t)
}

func TestDevFlowLeaksNoSecret(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 12, Projects: 2, IssuesPerProject: 40, Now: time.Now().UTC().Truncate(time.Hour)})
	emulator := jiraemu.New(site, jiraemu.EmulatorOptions{Users: []jiraemu.User{
		{AccountID: "dev-1", Email: "dev@example.com", APIToken: sentinelAPIToken, ProjectAdmin: true},
	}})
	jiraServer := httptest.NewServer(emulator)
	t.Cleanup(jiraServer.Close)
	scan := newLeakScan(sentinelAPIToken, sentinelWrongAPIToken)
	db := t.TempDir() + "/metrics.db"

	env := map[string]string{"JIRA_EMAIL": "dev@example.com", "JIRA_API_TOKEN": sentinelAPIToken}
	srv := startServer(t, func(name string) string { return env[name] }, "--dev", "--jira-url", jiraServer.URL, "--db", db, "--addr", "127.0.0.1:0")
	waitFor(t, "the first recompute", func() bool { return srv.countLogs("recompute finished") > 0 })
	projectID := site.Projects[0].ID

	assert.Equal(t, http.StatusOK, scan.reply(t, srv, "gadget page", http.MethodGet, "/", nil, ""))
	assert.Equal(t, http.StatusOK, scan.reply(t, srv, "projects", http.MethodGet, "/forge/gadget/projects", nil, ""))
	assert.Equal(t, http.StatusOK, scan.reply(t, srv, "report", http.MethodGet, "/forge/gadget/report?window=90&project="+projectID, nil, ""))
	assert.Equal(t, http.StatusOK, scan.reply(t, srv, "dev report", http.MethodGet, "/api/report?window=90&project="+projectID, nil, ""))
	assert.Equal(t, http.StatusBadRequest, scan.reply(t, srv, "invalid window", http.MethodGet, "/forge/gadget/report?window=-1&project="+projectID, nil, ""))
	assert.Equal(t, http.StatusOK, scan.reply(t, srv, "metrics", http.MethodGet, "/metrics", nil, ""))
	require.NoError(t, srv.stop())
	scan.add("log", []byte(srv.logs.String()))
	scan.add("stdout", []byte(srv.stdout.String()))
	stored, err := os.ReadFile(db)
	require.NoError(t, err)
	require.Contains(t, string(stored), projectID, "the store file holds the synced project")
	scan.add("store file", stored)

	// A start with an API token that Jira rejects fails with an error that names no token.
	env["JIRA_API_TOKEN"] = sentinelWrongAPIToken
	var stdout, stderr lockedBuffer
	err = run(t.Context(), []string{"serve", "--dev", "--jira-url", jiraServer.URL, "--db", t.TempDir() + "/other.db", "--addr", "127.0.0.1:0"},
		func(name string) string { return env[name] }, &stdout, &stderr)
	require.Error(t, err)
	scan.add("error of a rejected API token", []byte(err.Error()))
	scan.add("log of a rejected API token", []byte(stderr.String()))

	scan.assertNoLeak(t)
}

func TestStoreHoldsNoIssueContentOrNames(t *testing.T) {
	const (
		summary     = "SENTINEL-summary-8c61"
		description = "SENTINEL-description-3fa0"
		comment     = "SENTINEL-comment-b7d2"
		displayName = "SENTINEL-display-name-41e9"
		email       = "sentinel-person-0a5c@example.com"
		accountID   = "SENTINEL-account-id-d93f"
	)
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 13, Projects: 2, IssuesPerProject: 30, Now: time.Now().UTC().Truncate(time.Hour)})
	person := map[string]any{"accountId": accountID, "displayName": displayName, "emailAddress": email}
	for _, issue := range site.Issues {
		require.NoError(t, issue.SetField("summary", summary))
		require.NoError(t, issue.SetField("description", description))
		require.NoError(t, issue.SetField("comment", map[string]any{"comments": []any{map[string]any{"body": comment, "author": person}}}))
		require.NoError(t, issue.SetField("assignee", person))
		require.NoError(t, issue.SetField("reporter", person))
	}
	emulator := jiraemu.New(site, jiraemu.EmulatorOptions{Users: []jiraemu.User{
		{AccountID: accountID, Email: email, APIToken: "dev-api-token", ProjectAdmin: true},
	}})
	jiraServer := httptest.NewServer(emulator)
	t.Cleanup(jiraServer.Close)
	db := t.TempDir() + "/metrics.db"
	env := map[string]string{"JIRA_EMAIL": email, "JIRA_API_TOKEN": "dev-api-token"}

	srv := startServer(t, func(name string) string { return env[name] }, "--dev", "--jira-url", jiraServer.URL, "--db", db, "--addr", "127.0.0.1:0")
	waitFor(t, "the first recompute", func() bool { return srv.countLogs("recompute finished") > 0 })
	projectID := site.Projects[0].ID
	status, _ := srv.get(t, "/forge/gadget/report?window=90&project="+projectID, nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, srv.stop())
	stored, err := os.ReadFile(db)
	require.NoError(t, err)
	require.Contains(t, string(stored), site.Issues[0].Key, "the store file holds the synced issues")

	for _, content := range []string{summary, description, comment, displayName, email, accountID} {
		assert.NotContains(t, string(stored), content, "the store file holds issue content or a person's details")
	}
}
