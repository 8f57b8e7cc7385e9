package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/access"
)

// putSettings sends PUT path with body as alice of installation A.
func putSettings(t *testing.T, f *fixture, path, body string) reply {
	t.Helper()
	return f.do(t, request{method: http.MethodPut, path: path,
		token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken, body: strings.NewReader(body)})
}

func TestSettingsCheckedAgainstProjectData(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	f.jira.grant(aliceToken, access.AdministerProjects, projectEE, true)

	tests := []struct {
		name      string
		body      string
		status    int
		wantTexts []string
	}{
		{"unknown incident type", `{"incidentTypes":["Nope"]}`, http.StatusBadRequest,
			[]string{`invalid incidentTypes entry \"Nope\"`, "use one of Story"}},
		{"unknown deployed status", `{"deploymentSource":"status","deployedStatuses":["5","99"]}`, http.StatusBadRequest,
			[]string{`invalid deployedStatuses id \"99\"`, "use one of 1, 3, 5"}},
		{"type name in lower case", `{"incidentTypes":["story"]}`, http.StatusOK, []string{`"story"`}},
		{"type id and known status", `{"incidentTypes":["10"],"deploymentSource":"status","deployedStatuses":["5"]}`, http.StatusOK, []string{`"10"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := putSettings(t, f, "/forge/projects/10000/settings", tt.body)

			assert.Equal(t, tt.status, got.status, "body: %s", got.body)
			for _, want := range tt.wantTexts {
				assert.Contains(t, string(got.body), want)
			}
			if tt.status == http.StatusBadRequest {
				assert.Equal(t, "invalid", got.errorCode(t))
			}
		})
	}

	saved, _, err := f.store.Settings(installA, projectEE)
	require.NoError(t, err)
	assert.Equal(t, []string{"10"}, saved.IncidentTypes, "a rejected PUT saves nothing")
}

func TestSettingsOfUnsyncedProjectSavedUnchecked(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	const unsynced = "30000"
	f.jira.grant(aliceToken, access.BrowseProjects, unsynced, true)
	f.jira.grant(aliceToken, access.AdministerProjects, unsynced, true)

	got := putSettings(t, f, "/forge/projects/"+unsynced+"/settings", `{"incidentTypes":["Problem"]}`)

	require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
	saved, _, err := f.store.Settings(installA, unsynced)
	require.NoError(t, err)
	assert.Equal(t, []string{"Problem"}, saved.IncidentTypes)
	assert.Contains(t, f.logs.String(), `msg="settings check skipped"`)
}

func TestSettingsByProjectKey(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	f.jira.grant(aliceToken, access.AdministerProjects, projectEE, true)

	for _, key := range []string{"EE", "ee"} {
		t.Run(key, func(t *testing.T) {
			put := putSettings(t, f, "/forge/projects/"+key+"/settings", `{"timeZone":"Asia/Tokyo"}`)
			require.Equal(t, http.StatusOK, put.status, "body: %s", put.body)

			saved, _, err := f.store.Settings(installA, projectEE)
			require.NoError(t, err)
			assert.Equal(t, "Asia/Tokyo", saved.TimeZone, "saved under the project's id")

			read := f.get(t, installA, "alice", aliceToken, "/forge/projects/"+key+"/settings", nil)
			require.Equal(t, http.StatusOK, read.status, "body: %s", read.body)
			assert.Equal(t, "Asia/Tokyo", read.json(t)["timeZone"])
		})
	}
}

func TestSettingsKeyChecksPermissionOnID(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, false)

	t.Run("key the viewer may not browse", func(t *testing.T) {
		got := f.get(t, installA, "alice", aliceToken, "/forge/projects/ee/settings", nil)

		assert.Equal(t, http.StatusNotFound, got.status, "a denied key looks like an unknown one")
		assert.Equal(t, "not_found", got.errorCode(t))
		assert.NotContains(t, string(got.body), projectEE, "the reply does not reveal the id")
	})
	t.Run("key that names no synced project", func(t *testing.T) {
		got := f.get(t, installA, "alice", aliceToken, "/forge/projects/NOPE/settings", nil)

		assert.Equal(t, http.StatusNotFound, got.status)
		assert.Equal(t, "not_found", got.errorCode(t))
		assert.Contains(t, string(got.body), `\"NOPE\"`)
	})
	t.Run("administer checked on the resolved id", func(t *testing.T) {
		f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
		f.clock.Advance(2 * time.Minute) // past the cached denial

		got := putSettings(t, f, "/forge/projects/EE/settings", `{"timeZone":"Asia/Tokyo"}`)

		assert.Equal(t, http.StatusForbidden, got.status, "body: %s", got.body)
		assert.Contains(t, string(got.body), access.AdministerProjects)
	})
	t.Run("invalid path value", func(t *testing.T) {
		got := f.get(t, installA, "alice", aliceToken, "/forge/projects/0123/settings", nil)

		assert.Equal(t, http.StatusBadRequest, got.status)
		assert.Equal(t, "invalid", got.errorCode(t))
		assert.Contains(t, string(got.body), `\"0123\"`)
	})
}

func TestReportByKeyInLowerCase(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)

	got := f.get(t, installA, "alice", aliceToken, "/forge/gadget/report", reportQuery("ee", "90"))

	require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
	assert.Equal(t, "EE", got.json(t)["project"].(map[string]any)["key"])
}
