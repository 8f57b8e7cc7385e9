package jiraemu

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The emulator decodes JQL, page tokens and request bodies from its callers. These targets
// check that no input makes it panic or reply with a status Jira would not use.

func FuzzParseJQL(f *testing.F) {
	for _, seed := range []string{
		"project = GA", `project in (GA, "GB") AND updated >= "2026/01/01 10:00" ORDER BY key DESC`,
		"id in (GA-1, 10002) or not (status = Done)", "order by key", `project = "GA`, "((", "resolution is not empty",
		"created < 2026-01-01 AND created > '2025/01/01'", "id >= GA-3", "!= =", "project = GA ORDER BY",
	} {
		f.Add(seed)
	}
	site := Generate(GenerateOptions{Seed: 1, IssuesPerProject: 5})
	f.Fuzz(func(t *testing.T, jql string) {
		q, err := parseJQL(jql, time.UTC, site)
		if err != nil {
			if _, ok := err.(*JQLError); !ok {
				t.Fatalf("error of type %T for %q", err, jql)
			}
			return
		}
		for _, r := range site.Issues {
			if q.where != nil {
				q.where(r)
			}
			compareIssues(q.order, r, site.Issues[0])
		}
	})
}

func FuzzOpenCursor(f *testing.F) {
	emu := New(Generate(GenerateOptions{Seed: 1, IssuesPerProject: 1}), EmulatorOptions{})
	f.Add(emu.sealCursor(cursor{Query: "q", Offset: 100}))
	f.Add("")
	f.Add("e30.AAAA")
	f.Add("not-a-token")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := emu.openCursor(token, "q")
		if err == nil && (c.Offset < 0 || c.Inner < 0 || c.Query != "q") {
			t.Fatalf("accepted a bad cursor %+v", c)
		}
	})
}

func FuzzRequestBodies(f *testing.F) {
	seeds := []struct{ path, body string }{
		{"/rest/api/3/search/jql", `{"jql":"project = GA","fields":["status"],"maxResults":10}`},
		{"/rest/api/3/search/jql", `{"jql":"project = GA","nextPageToken":"abc"}`},
		{"/rest/api/3/search/approximate-count", `{"jql":"project = GA"}`},
		{"/rest/api/3/changelog/bulkfetch", `{"issueIdsOrKeys":["10000","GA-2"],"fieldIds":["status"],"maxResults":1}`},
		{"/rest/api/3/permissions/check", `{"projectPermissions":[{"permissions":["BROWSE_PROJECTS"],"projects":[10000]}]}`},
		{"/rest/api/3/search/jql", `{"jql":`},
		{"/rest/api/3/changelog/bulkfetch", `{"issueIdsOrKeys":[],"maxResults":-1}`},
	}
	for _, s := range seeds {
		f.Add(s.path, []byte(s.body))
	}
	emu := New(Generate(GenerateOptions{Seed: 1, IssuesPerProject: 20, LongHistoryEvery: 5}), EmulatorOptions{
		Users: []User{{AccountID: "a", Email: "e@example.com", APIToken: "t"}},
	})
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		req, err := http.NewRequest("POST", "http://127.0.0.1"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.SetBasicAuth("e@example.com", "t")
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 403, 404, 405:
		default:
			t.Fatalf("status %d for POST %s %q", rec.Code, path, body)
		}
	})
}

func FuzzQueryParameters(f *testing.F) {
	for _, seed := range []string{
		"/rest/api/3/project/search?startAt=0&maxResults=50",
		"/rest/api/3/project/GA/version?startAt=1&maxResults=2&orderBy=-releaseDate",
		"/rest/api/3/issue/GA-1/changelog?startAt=5&maxResults=3",
		"/rest/api/3/mypermissions?projectId=10000&permissions=BROWSE_PROJECTS",
		"/rest/api/3/search/jql?jql=project%3DGA&fields=id,status&maxResults=x",
		"/ex/jira/c/rest/api/3/myself",
	} {
		f.Add(seed)
	}
	emu := New(Generate(GenerateOptions{Seed: 1, IssuesPerProject: 20}), EmulatorOptions{
		Users: []User{{AccountID: "a", Email: "e@example.com", APIToken: "t"}},
	})
	f.Fuzz(func(t *testing.T, target string) {
		req, err := http.NewRequest("GET", "http://127.0.0.1"+target, nil)
		if err != nil {
			return
		}
		req.SetBasicAuth("e@example.com", "t")
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 404, 405:
		default:
			t.Fatalf("status %d for GET %s", rec.Code, target)
		}
	})
}
