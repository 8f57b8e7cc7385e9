package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// installNew is an installation whose first sync has not finished: nothing is stored for it.
const installNew = "ari:cloud:ecosystem::installation/cccc"

func TestProjectsReportFirstSync(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)

	t.Run("running", func(t *testing.T) {
		got := f.get(t, installNew, "alice", aliceToken, "/forge/gadget/projects", nil)
		require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
		body := got.json(t)
		assert.Equal(t, true, body["syncing"])
		assert.Empty(t, body["projects"])
		assert.NotContains(t, body, "lastSyncedAt")
	})
	t.Run("finished", func(t *testing.T) {
		got := f.get(t, installA, "alice", aliceToken, "/forge/gadget/projects", nil)
		require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
		body := got.json(t)
		assert.Equal(t, false, body["syncing"])
		assert.Equal(t, "2026-11-30T11:00:00Z", body["lastSyncedAt"])
		assert.Len(t, body["projects"], 1)
	})
}

func TestUnsyncedProjectDuringFirstSync(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, "30000", true)

	cases := []struct {
		name, installation, project, code string
	}{
		{"granted id while syncing", installNew, "30000", "not_computed"},
		{"unknown key while syncing", installNew, "NOPE", "not_computed"},
		{"granted id after sync", installA, "30000", "not_found"},
		{"unknown key after sync", installA, "NOPE", "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := f.get(t, tc.installation, "alice", aliceToken, "/forge/gadget/report", reportQuery(tc.project, "90"))
			assert.Equal(t, http.StatusNotFound, got.status)
			assert.Equal(t, tc.code, got.errorCode(t))
			assert.NotContains(t, string(got.body), "/forge/", "the message names no route")
		})
	}
}

func TestDeniedKeyDuringFirstSyncLikeUnknown(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	require.NoError(t, f.store.ReplaceProject(installNew, store.ProjectUpdate{Project: dora.Project{ID: projectEE, Key: "EE", Name: "Early EE"}}))

	denied := f.get(t, installNew, "alice", aliceToken, "/forge/gadget/report", reportQuery("EE", "90"))
	unknown := f.get(t, installNew, "alice", aliceToken, "/forge/gadget/report", reportQuery("ZZ", "90"))

	assert.Equal(t, http.StatusNotFound, denied.status)
	assert.Equal(t, unknown.status, denied.status)
	assert.Equal(t, unknown.errorCode(t), denied.errorCode(t))
	assert.Equal(t, string(unknown.body), string(denied.body))
}

func TestProjectMetadata(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)
	f.jira.grant(aliceToken, access.BrowseProjects, "30000", true)
	f.jira.grant(bobToken, access.BrowseProjects, projectEE, false)
	data := sampleData(dora.Project{ID: projectEE, Key: "EE", Name: "Alpha EE"})
	require.NoError(t, f.store.ReplaceProject(installA, store.ProjectUpdate{
		Project: data.Project, Statuses: data.Statuses, IssueTypes: data.IssueTypes, Versions: data.Versions,
		FullIssues: true, Upserts: data.Issues, Sync: store.SyncState{SiteTimeZone: "UTC"},
		Metadata: &store.ProjectMetadata{
			Statuses:   []store.StatusInfo{{ID: "5", Name: "Released", Category: dora.CategoryDone}, {ID: "3", Name: "In Progress", Category: dora.CategoryIndeterminate}},
			IssueTypes: []store.IssueTypeInfo{{ID: "10", Name: "Story", UntranslatedName: "Story"}},
		},
	}))
	path := func(id string) string { return "/forge/projects/" + url.PathEscape(id) + "/metadata" }

	t.Run("names for a viewer who may browse", func(t *testing.T) {
		got := f.get(t, installA, "alice", aliceToken, path(projectEE), nil)
		require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
		var body struct {
			ProjectID  string                `json:"projectId"`
			Statuses   []store.StatusInfo    `json:"statuses"`
			IssueTypes []store.IssueTypeInfo `json:"issueTypes"`
		}
		require.NoError(t, json.Unmarshal(got.body, &body))
		assert.Equal(t, projectEE, body.ProjectID)
		assert.Equal(t, []store.StatusInfo{{ID: "3", Name: "In Progress", Category: dora.CategoryIndeterminate}, {ID: "5", Name: "Released", Category: dora.CategoryDone}}, body.Statuses)
		assert.Equal(t, []store.IssueTypeInfo{{ID: "10", Name: "Story", UntranslatedName: "Story"}}, body.IssueTypes)
	})
	t.Run("forbidden without browse projects", func(t *testing.T) {
		got := f.get(t, installA, "bob", bobToken, path(projectEE), nil)
		assert.Equal(t, http.StatusForbidden, got.status)
		assert.Equal(t, "forbidden", got.errorCode(t))
		assert.NotContains(t, string(got.body), "Released")
	})
	t.Run("unauthorized without a token", func(t *testing.T) {
		got := f.do(t, request{path: path(projectEE)})
		assert.Equal(t, http.StatusUnauthorized, got.status)
	})
	t.Run("project key in any case", func(t *testing.T) {
		got := f.get(t, installA, "alice", aliceToken, path("ee"), nil)
		require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
		assert.Contains(t, string(got.body), `"projectId":"10000"`)
	})
	t.Run("invalid project id", func(t *testing.T) {
		got := f.get(t, installA, "alice", aliceToken, path("0123"), nil)
		assert.Equal(t, http.StatusBadRequest, got.status)
		assert.Equal(t, "invalid", got.errorCode(t))
	})
	t.Run("unsynced project not found", func(t *testing.T) {
		got := f.get(t, installA, "alice", aliceToken, path("30000"), nil)
		assert.Equal(t, http.StatusNotFound, got.status)
		assert.Equal(t, "not_found", got.errorCode(t))
	})
	t.Run("unsynced project during first sync", func(t *testing.T) {
		got := f.get(t, installNew, "alice", aliceToken, path("30000"), nil)
		assert.Equal(t, http.StatusNotFound, got.status)
		assert.Equal(t, "not_computed", got.errorCode(t))
		assert.True(t, strings.Contains(string(got.body), "first sync"), "body: %s", got.body)
	})
}
