package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/forge/forgetest"
)

// A gadget user can send invokeRemote to any path of the remote, with the headers Forge adds to
// every gadget call, so the served binary must keep those calls off the event routes.
func TestForgeViewerCannotUninstallOrRecompute(t *testing.T) {
	f := startForgeSite(t, 0)
	status, _ := f.trigger(t, "/forge/lifecycle/installed")
	require.Equal(t, http.StatusAccepted, status)
	waitFor(t, "the first sync", func() bool { return f.srv.countLogs("recompute finished") > 0 })
	started := f.srv.countLogs("recompute started")
	gadget := func() map[string]string {
		token := f.issuer.Token(t, forgetest.Invocation{InstallationID: installX, APIBaseURL: f.apiBase, AccountID: "viewer-1",
			ModuleKey: "dora-metrics-gadget"}, time.Now())
		return map[string]string{"Authorization": "Bearer " + token, "X-Forge-Oauth-User": viewerToken, "X-Forge-Oauth-System": systemToken}
	}

	for _, path := range []string{"/forge/lifecycle/uninstalled", "/forge/triggers/recompute", "/forge/lifecycle/installed"} {
		status, body := f.srv.send(t, http.MethodPost, path, gadget(), "")

		assert.Equal(t, http.StatusForbidden, status, "%s: body: %s", path, body)
	}

	status, body := f.srv.get(t, "/forge/gadget/projects", gadget())
	require.Equal(t, http.StatusOK, status, "body: %s", body)
	var list struct {
		Projects []struct{ ID string }
	}
	require.NoError(t, json.Unmarshal(body, &list))
	assert.Len(t, list.Projects, 2, "the installation's data is still stored")
	assert.Equal(t, started, f.srv.countLogs("recompute started"), "no recompute started")
}
