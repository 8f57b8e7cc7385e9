package jira

import (
	"testing"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

// The Jira reply types that jirajson decodes (issues, changelog pages, bulkfetch pages,
// versions, statuses, issue types, myself) have their fuzz targets in jirajson. These cover
// the decoders of this package and the envelopes it reads.

func FuzzDecodeErrorBody(f *testing.F) {
	for _, seed := range []string{
		`{"errorMessages":["Field 'x' does not exist"],"errors":{}}`,
		`{"errorMessages":[],"errors":{"jql":"bad"}}`,
		`<html>proxy error</html>`,
		``, `null`, `{"errors":{"a":1}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, fields, ok := decodeErrorBody(data)
		if !ok && (msgs != nil || fields != nil) {
			t.Fatalf("rejected body returned values: %v %v", msgs, fields)
		}
		e := &APIError{Method: "GET", Path: "/x", Status: 400, Messages: msgs, Fields: fields}
		_ = e.Error()
	})
}

func FuzzDecodeIssuePage(f *testing.F) {
	f.Add([]byte(`{"issues":[{"id":"10063","key":"EE-1","fields":{"issuetype":{"id":"10001"},"status":{"id":"3"},"created":"2020-06-12T08:13:13.360+0800","updated":"2021-03-28T16:06:08.713+0800","project":{"id":"10003"},"fixVersions":[{"id":"10026"}],"versions":[]}}],"nextPageToken":"abc","isLast":false}`))
	f.Add([]byte(`{"issues":[{"id":"1"}],"isLast":true}`))
	f.Add([]byte(`{"issues":[{"key":"A-1"}]}`))
	f.Add([]byte(`{"issues": [ not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var page jirajson.SearchResults
		if decodeIssuePage(data, &page) != nil {
			return
		}
		for _, issue := range page.Issues {
			if issue.ID == "" {
				t.Fatal("accepted an issue without id")
			}
			_ = issue.Facts([]jirajson.History{})
		}
	})
}

func FuzzDecodeBulkIssues(f *testing.F) {
	f.Add([]byte(`{"issues":[{"id":"10063","key":"EE-1","fields":{"issuetype":{"id":"10001"},"status":{"id":"3"},"created":"2020-06-12T08:13:13.360+0800","project":{"id":"10003"}}}],"issueErrors":[{"id":"10064","errorMessage":"try again"}]}`))
	f.Add([]byte(`{"issues":[{"id":"10063"},{"id":"10063"}],"issueErrors":[]}`))
	f.Add([]byte(`{"issues":[{"id":"99"}]}`))
	f.Add([]byte(`{"issues":[],"issueErrors":[{"id":"10063"}]}`))
	f.Add([]byte(`{"issues": [ not json`))
	requested := []string{"10063", "10064"}
	f.Fuzz(func(t *testing.T, data []byte) {
		var res jirajson.BulkIssueResults
		if decodeBulkIssues(data, requested, &res) != nil {
			return
		}
		seen := map[string]bool{}
		for _, issue := range res.Issues {
			if issue.ID != "10063" && issue.ID != "10064" {
				t.Fatalf("accepted issue %q, which was not requested", issue.ID)
			}
			if seen[issue.ID] {
				t.Fatalf("accepted issue %q twice", issue.ID)
			}
			seen[issue.ID] = true
			_ = issue.Facts(nil)
		}
		for _, e := range res.IssueErrors {
			if seen[e.ID] || (e.ID != "10063" && e.ID != "10064") {
				t.Fatalf("accepted an error for issue %q", e.ID)
			}
		}
	})
}

func FuzzDecodeEnvelopes(f *testing.F) {
	for _, seed := range []string{
		`{"startAt":0,"maxResults":50,"total":2,"isLast":true,"values":[{"id":"10003","key":"EE","name":"Enterprise Edition"}]}`,
		`{"startAt":0,"maxResults":50,"total":1,"isLast":false,"values":[{"id":"10009","name":"v2.6.0","released":true,"releaseDate":"2020-06-30","projectId":10003}]}`,
		`{"projectPermissions":[{"permission":"BROWSE_PROJECTS","projects":[10003,10050]}]}`,
		`{"permissions":{"BROWSE_PROJECTS":{"key":"BROWSE_PROJECTS","havePermission":true}}}`,
		`{"count":42}`,
		`{"accountId":"5b10","timeZone":"Asia/Shanghai"}`,
		`[{"id":"3","statusCategory":{"key":"indeterminate"},"scope":{"type":"PROJECT","project":{"id":"10003"}}}]`,
		`[{"id":"10004","untranslatedName":"Bug","subtask":false,"hierarchyLevel":0}]`,
		`{"startAt":0,"maxResults":100,"total":1,"isLast":true,"values":[{"id":"1","created":"2020-06-12T08:13:13.360+0800","items":[{"field":"status","from":"1","to":"3"}]}]}`,
		`{"id":"10003","key":"EE","name":"Enterprise Edition"}`,
		`{} {}`, `[`, `{"values":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var projects jirajson.PageBeanProject
		_ = decodeJSON(data, &projects)
		var versions jirajson.PageBeanVersion
		if decodeJSON(data, &versions) == nil {
			_ = jirajson.Versions(versions.Values)
		}
		var grants jirajson.PermissionGrants
		_ = decodeJSON(data, &grants)
		var mine jirajson.MyPermissions
		_ = decodeJSON(data, &mine)
		var count jirajson.CountResult
		_ = decodeJSON(data, &count)
		var me jirajson.Myself
		_ = decodeJSON(data, &me)
		var project jirajson.Project
		_ = decodeJSON(data, &project)
		var statuses []jirajson.Status
		if decodeJSON(data, &statuses) == nil {
			_ = jirajson.StatusCategories(statuses)
		}
		var types []jirajson.IssueType
		if decodeJSON(data, &types) == nil {
			_ = jirajson.IssueTypes(types)
		}
		var changelog jirajson.PageBeanChangelog
		if decodeJSON(data, &changelog) == nil {
			_ = jirajson.Transitions(changelog.Values)
		}
		var bulk jirajson.BulkChangelogResponse
		if decodeJSON(data, &bulk) == nil {
			for _, log := range bulk.IssueChangeLogs {
				_ = jirajson.Transitions(log.ChangeHistories)
			}
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, seed := range []string{"1", "0", "120", "Fri, 04 Dec 2026 20:00:30 GMT", "-1", "", "1.5", "99999999999999999999"} {
		f.Add(seed)
	}
	now := time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if d < 0 {
			t.Fatalf("negative wait %s for %q", d, v)
		}
		if !ok && d != 0 {
			t.Fatalf("rejected value %q returned wait %s", v, d)
		}
		if d > 24*time.Hour {
			t.Fatalf("wait %s for %q exceeds the one-day cap", d, v)
		}
	})
}
