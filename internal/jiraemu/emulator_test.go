package jiraemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jirajson"
	"github.com/devops-metrics/devops-metrics/internal/samplesite"
)

const (
	testEmail   = "dev@example.com"
	testToken   = "token-1"
	testAccount = "acc-1"
)

type testServer struct {
	emu *Emulator
	url string
	now time.Time
}

func newTestServer(t *testing.T, site *Site) *testServer {
	t.Helper()
	ts := &testServer{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	ts.emu = New(site, EmulatorOptions{
		Users:        []User{{AccountID: testAccount, Email: testEmail, APIToken: testToken}},
		BearerTokens: map[string]string{"forge-token": testAccount},
		Now:          func() time.Time { return ts.now },
	})
	srv := httptest.NewServer(ts.emu)
	t.Cleanup(srv.Close)
	ts.url = srv.URL
	return ts
}

// do sends a request with Basic auth and returns the status and body.
func (ts *testServer) do(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, ts.url+path, reader)
	require.NoError(t, err)
	req.SetBasicAuth(testEmail, testToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

func (ts *testServer) search(t *testing.T, req jirajson.SearchRequest) (int, jirajson.SearchResults, []byte) {
	t.Helper()
	status, body := ts.do(t, "POST", "/rest/api/3/search/jql", req)
	var res jirajson.SearchResults
	if status == 200 {
		require.NoError(t, json.Unmarshal(body, &res))
	}
	return status, res, body
}

func TestSearchPageCaps(t *testing.T) {
	ts := newTestServer(t, Generate(GenerateOptions{Seed: 1, IssuesPerProject: 6000, LongHistoryEvery: -1}))
	tests := []struct {
		name   string
		fields []string
		ask    int
		want   int
	}{
		{"default page size", []string{"status"}, 0, 50},
		{"fields capped at 100", []string{"status"}, 1000, 100},
		{"ids capped at 5000", []string{"id"}, 10000, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, res, _ := ts.search(t, jirajson.SearchRequest{JQL: "project = GA", Fields: tt.fields, MaxResults: tt.ask})
			require.Equal(t, 200, status)
			assert.Len(t, res.Issues, tt.want)
			assert.False(t, res.IsLast)
			assert.NotEmpty(t, res.NextPageToken)
		})
	}
}

func TestSearchOnlyIDField(t *testing.T) {
	ts := newTestServer(t, Generate(GenerateOptions{Seed: 1, IssuesPerProject: 3}))
	status, body := ts.do(t, "POST", "/rest/api/3/search/jql", jirajson.SearchRequest{JQL: "project = GA", Fields: []string{"id"}})
	require.Equal(t, 200, status)
	assert.JSONEq(t, `{"issues":[{"id":"10000"},{"id":"10001"},{"id":"10002"}],"isLast":true}`, string(body))
}

func TestSearchReturnsOnlyAskedFields(t *testing.T) {
	ts := newTestServer(t, Generate(GenerateOptions{Seed: 1, IssuesPerProject: 1}))
	status, body := ts.do(t, "POST", "/rest/api/3/search/jql", jirajson.SearchRequest{JQL: "project = GA", Fields: []string{"status", "created"}})
	require.Equal(t, 200, status)
	var res struct {
		Issues []struct {
			Fields map[string]json.RawMessage `json:"fields"`
		} `json:"issues"`
	}
	require.NoError(t, json.Unmarshal(body, &res))
	require.Len(t, res.Issues, 1)
	assert.Len(t, res.Issues[0].Fields, 2)
	assert.Contains(t, res.Issues[0].Fields, "status")
	assert.Contains(t, res.Issues[0].Fields, "created")
}

func TestSearchTokens(t *testing.T) {
	ts := newTestServer(t, Generate(GenerateOptions{Seed: 1, Projects: 2, IssuesPerProject: 120}))
	_, first, _ := ts.search(t, jirajson.SearchRequest{JQL: "project = GA", Fields: []string{"id"}, MaxResults: 100})
	require.NotEmpty(t, first.NextPageToken)

	t.Run("token is opaque", func(t *testing.T) {
		assert.NotContains(t, first.NextPageToken, "100")
		assert.NotContains(t, first.NextPageToken, "GA")
	})
	t.Run("next page continues", func(t *testing.T) {
		status, next, _ := ts.search(t, jirajson.SearchRequest{JQL: "project = GA", Fields: []string{"id"}, MaxResults: 100, NextPageToken: first.NextPageToken})
		require.Equal(t, 200, status)
		assert.Len(t, next.Issues, 20)
		assert.True(t, next.IsLast)
		assert.Empty(t, next.NextPageToken)
	})
	t.Run("token bound to its query", func(t *testing.T) {
		status, _, body := ts.search(t, jirajson.SearchRequest{JQL: "project = GB", Fields: []string{"id"}, MaxResults: 100, NextPageToken: first.NextPageToken})
		assert.Equal(t, 400, status)
		assert.Contains(t, string(body), "next page token is invalid or expired")
	})
	t.Run("tampered token", func(t *testing.T) {
		status, _, _ := ts.search(t, jirajson.SearchRequest{JQL: "project = GA", Fields: []string{"id"}, MaxResults: 100, NextPageToken: "x" + first.NextPageToken[1:]})
		assert.Equal(t, 400, status)
	})
	t.Run("token expires after 7 days", func(t *testing.T) {
		ts.now = ts.now.Add(7*24*time.Hour + time.Second)
		defer func() { ts.now = ts.now.Add(-(7*24*time.Hour + time.Second)) }()
		status, _, _ := ts.search(t, jirajson.SearchRequest{JQL: "project = GA", Fields: []string{"id"}, MaxResults: 100, NextPageToken: first.NextPageToken})
		assert.Equal(t, 400, status)
	})
}

func TestSearchChangelogNewest40(t *testing.T) {
	site := Generate(GenerateOptions{Seed: 1, IssuesPerProject: 50, LongHistoryEvery: 50})
	long := site.Issues[49]
	require.Greater(t, len(long.Histories), 60)
	ts := newTestServer(t, site)

	status, res, _ := ts.search(t, jirajson.SearchRequest{JQL: "id = " + long.ID, Fields: []string{"status"}, Expand: "changelog"})
	require.Equal(t, 200, status)
	require.Len(t, res.Issues, 1)
	cl := res.Issues[0].Changelog
	require.NotNil(t, cl)

	assert.Equal(t, len(long.Histories), cl.Total)
	require.Len(t, cl.Histories, 40)
	assert.Equal(t, long.Histories[len(long.Histories)-1].ID, cl.Histories[0].ID, "newest first")
	assert.Equal(t, long.Histories[len(long.Histories)-40].ID, cl.Histories[39].ID, "the oldest histories are cut")
}

func TestJQLErrors(t *testing.T) {
	ts := newTestServer(t, Generate(GenerateOptions{Seed: 1, IssuesPerProject: 5}))
	tests := []struct {
		jql  string
		want string
	}{
		{"", "Unbounded JQL"},
		{"order by key", "Unbounded JQL"},
		{"summary ~ foo", "Field 'summary' does not exist"},
		{"project = NOPE", "The value 'NOPE' does not exist for the field 'project'."},
		{"project = GA AND", "Expecting a field name but reached the end"},
		{`updated >= "yesterday"`, "Date value 'yesterday' for field is invalid"},
		{`project = "GA`, "not terminated"},
		{"project in (GA, ", "Expecting a value"},
		{"project = GA order by summary", "Not able to sort using field 'summary'"},
		{"project > GA", "The operator '>' is not supported by the 'project' field"},
	}
	for _, tt := range tests {
		t.Run(tt.jql, func(t *testing.T) {
			status, _, body := ts.search(t, jirajson.SearchRequest{JQL: tt.jql})
			assert.Equal(t, 400, status)
			var e jirajson.ErrorCollection
			require.NoError(t, json.Unmarshal(body, &e))
			require.Len(t, e.ErrorMessages, 1)
			assert.Contains(t, e.ErrorMessages[0], tt.want)
			assert.NotNil(t, e.Errors, "errors is an object, as in Jira")
		})
	}
}

func TestJQLMatches(t *testing.T) {
	site := Generate(GenerateOptions{Seed: 2, Projects: 2, IssuesPerProject: 40})
	ts := newTestServer(t, site)
	count := func(t *testing.T, jql string) int {
		t.Helper()
		status, body := ts.do(t, "POST", "/rest/api/3/search/approximate-count", jirajson.CountRequest{JQL: jql})
		require.Equal(t, 200, status, string(body))
		var res jirajson.CountResult
		require.NoError(t, json.Unmarshal(body, &res))
		return res.Count
	}
	bugs := 0
	for _, r := range site.Issues {
		if r.index.projectKey == "GA" && r.index.typeID == GenTypeBug {
			bugs++
		}
	}
	tests := []struct {
		jql  string
		want int
	}{
		{"project = GA", 40},
		{"project = 10000", 40},
		{"project in (GA, GB)", 80},
		{"project in (GA, GB) AND NOT project = GB", 40},
		{"project = GA OR project = GB", 80},
		{"(project = GA) and issuetype = Bug", bugs},
		{"project = GA AND issuetype = " + GenTypeBug, bugs},
		{"id in (GA-1, GA-2, 10002)", 3},
		{"key = ga-1", 1},
		{"id >= 10078", 2},
		{"project = GA AND created >= 2000-01-01 AND created < 2100/01/01", 40},
		{"project = GA AND resolution IS EMPTY OR project = GA AND resolution IS NOT EMPTY", 40},
		{"project = GA AND status != Done AND status not in (Done)", countIssues(site, func(r *IssueRecord) bool { return r.index.projectKey == "GA" && r.index.statusID != GenStatusDone })},
	}
	for _, tt := range tests {
		t.Run(tt.jql, func(t *testing.T) {
			assert.Equal(t, tt.want, count(t, tt.jql))
		})
	}
}

func countIssues(site *Site, keep func(*IssueRecord) bool) int {
	n := 0
	for _, r := range site.Issues {
		if keep(r) {
			n++
		}
	}
	return n
}

func TestSearchOrderBy(t *testing.T) {
	ts := newTestServer(t, Generate(GenerateOptions{Seed: 3, IssuesPerProject: 30}))
	_, res, _ := ts.search(t, jirajson.SearchRequest{JQL: "project = GA ORDER BY created DESC, key", Fields: []string{"created"}})
	require.Len(t, res.Issues, 30)
	for k := 1; k < len(res.Issues); k++ {
		assert.False(t, res.Issues[k].Fields.Created.After(res.Issues[k-1].Fields.Created.Time), "issue %d is not newer than %d", k, k-1)
	}
}

func TestAuthentication(t *testing.T) {
	ts := newTestServer(t, Generate(GenerateOptions{Seed: 1, IssuesPerProject: 1}))
	tests := []struct {
		name   string
		path   string
		auth   func(*http.Request)
		status int
	}{
		{"no credentials", "/rest/api/3/myself", func(*http.Request) {}, 401},
		{"wrong token", "/rest/api/3/myself", func(r *http.Request) { r.SetBasicAuth(testEmail, "nope") }, 401},
		{"empty token", "/rest/api/3/myself", func(r *http.Request) { r.SetBasicAuth(testEmail, "") }, 401},
		{"unknown bearer", "/rest/api/3/myself", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401},
		{"basic", "/rest/api/3/myself", func(r *http.Request) { r.SetBasicAuth(testEmail, testToken) }, 200},
		{"bearer on the Forge path", "/ex/jira/cloud-1/rest/api/3/myself", func(r *http.Request) { r.Header.Set("Authorization", "Bearer forge-token") }, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), "GET", ts.url+tt.path, nil)
			require.NoError(t, err)
			tt.auth(req)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
		})
	}
	assert.Equal(t, 2, ts.emu.Count("/rest/api/3/myself")-4, "the Forge path is logged without its prefix")
}

func TestUnknownPathsAndMethods(t *testing.T) {
	ts := newTestServer(t, Generate(GenerateOptions{Seed: 1, IssuesPerProject: 1}))
	status, _ := ts.do(t, "POST", "/rest/api/3/issue", map[string]any{})
	assert.Equal(t, 404, status)
	status, _ = ts.do(t, "DELETE", "/rest/api/3/myself", nil)
	assert.Equal(t, 405, status)
	status, _ = ts.do(t, "GET", "/rest/api/3/changelog/bulkfetch", nil)
	assert.Equal(t, 405, status)
}

func TestBulkfetchPagingAndFilter(t *testing.T) {
	site := Generate(GenerateOptions{Seed: 4, IssuesPerProject: 30, LongHistoryEvery: 10})
	site.Issues[0].Histories = append(site.Issues[0].Histories, jirajson.History{ID: "1", Created: jirajson.Time{Time: time.Now()}, Items: []jirajson.HistoryItem{{Field: "assignee", FieldID: "assignee"}}})
	ts := newTestServer(t, site)
	var ids []string
	total := 0
	for _, r := range site.Issues {
		ids = append(ids, r.ID)
		total += len(filterHistories(r.Histories, []string{"status"}))
	}

	got := 0
	token := ""
	pages := 0
	for {
		status, body := ts.do(t, "POST", "/rest/api/3/changelog/bulkfetch", jirajson.BulkChangelogRequest{IssueIDsOrKeys: ids, FieldIDs: []string{"status"}, MaxResults: 50, NextPageToken: token})
		require.Equal(t, 200, status, string(body))
		var res jirajson.BulkChangelogResponse
		require.NoError(t, json.Unmarshal(body, &res))
		pages++
		n := 0
		for _, log := range res.IssueChangeLogs {
			for _, h := range log.ChangeHistories {
				for _, item := range h.Items {
					assert.True(t, item.IsStatus(), "only status items")
				}
			}
			n += len(log.ChangeHistories)
		}
		assert.LessOrEqual(t, n, 50)
		got += n
		if res.NextPageToken == "" {
			break
		}
		token = res.NextPageToken
	}
	assert.Equal(t, total, got)
	assert.Equal(t, (total+49)/50, pages)
}

func TestBulkfetchLimits(t *testing.T) {
	ts := newTestServer(t, Generate(GenerateOptions{Seed: 4, IssuesPerProject: 1}))
	tooMany := make([]string, 1001)
	for i := range tooMany {
		tooMany[i] = "1"
	}
	tests := []struct {
		name string
		req  jirajson.BulkChangelogRequest
		want string
	}{
		{"no ids", jirajson.BulkChangelogRequest{}, "between 1 and 1000"},
		{"1001 ids", jirajson.BulkChangelogRequest{IssueIDsOrKeys: tooMany}, "between 1 and 1000"},
		{"11 field ids", jirajson.BulkChangelogRequest{IssueIDsOrKeys: []string{"1"}, FieldIDs: strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")}, "at most 10"},
		{"maxResults too big", jirajson.BulkChangelogRequest{IssueIDsOrKeys: []string{"1"}, MaxResults: 10001}, "between 1 and 10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := ts.do(t, "POST", "/rest/api/3/changelog/bulkfetch", tt.req)
			assert.Equal(t, 400, status)
			assert.Contains(t, string(body), tt.want)
		})
	}
}

func TestPermissionsFile(t *testing.T) {
	site := Generate(GenerateOptions{Seed: 5, Projects: 2, IssuesPerProject: 3})
	site.Permissions = map[string][]string{testAccount: {"10001"}}
	ts := newTestServer(t, site)

	status, _ := ts.do(t, "GET", "/rest/api/3/project/10000/version", nil)
	assert.Equal(t, 404, status, "hidden project")
	status, _ = ts.do(t, "GET", "/rest/api/3/mypermissions?projectId=10000&permissions=BROWSE_PROJECTS", nil)
	assert.Equal(t, 404, status, "hidden project")
	status, body := ts.do(t, "GET", "/rest/api/3/mypermissions?projectId=10001&permissions=BROWSE_PROJECTS", nil)
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"permissions":{"BROWSE_PROJECTS":{"key":"BROWSE_PROJECTS","havePermission":true}}}`, string(body))
	status, _ = ts.do(t, "GET", "/rest/api/3/mypermissions?projectId=10001", nil)
	assert.Equal(t, 400, status, "permissions is required")
	status, body = ts.do(t, "POST", "/rest/api/3/permissions/check", jirajson.PermissionsCheckRequest{ProjectPermissions: []jirajson.ProjectPermissions{{Permissions: []string{"BROWSE_PROJECTS"}, Projects: []int64{10000, 10001, 99999}}}})
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"projectPermissions":[{"permission":"BROWSE_PROJECTS","projects":[10001]}]}`, string(body))
	status, body = ts.do(t, "POST", "/rest/api/3/search/approximate-count", jirajson.CountRequest{JQL: "project in (GA, GB)"})
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"count":3}`, string(body), "search sees only browsable issues")
}

func TestPermissionsCheckForOtherAccount(t *testing.T) {
	site := Generate(GenerateOptions{Seed: 5, Projects: 2, IssuesPerProject: 1})
	site.Permissions = map[string][]string{"viewer": {"10001"}, testAccount: {"10000", "10001"}}
	emu := New(site, EmulatorOptions{Users: []User{
		{AccountID: testAccount, Email: testEmail, APIToken: testToken},
		{AccountID: "admin", Email: "admin@example.com", APIToken: "admin-token", Admin: true},
	}})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	body := `{"accountId":"viewer","projectPermissions":[{"permissions":["BROWSE_PROJECTS"],"projects":[10000,10001]}]}`
	tests := []struct {
		name, email, token string
		status             int
		want               string
	}{
		{"admin checks viewer", "admin@example.com", "admin-token", 200, `{"projectPermissions":[{"permission":"BROWSE_PROJECTS","projects":[10001]}]}`},
		{"non-admin is forbidden", testEmail, testToken, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/rest/api/3/permissions/check", strings.NewReader(body))
			require.NoError(t, err)
			req.SetBasicAuth(tt.email, tt.token)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer func() { _ = resp.Body.Close() }()
			data, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.status, resp.StatusCode)
			if tt.want != "" {
				assert.JSONEq(t, tt.want, string(data))
			}
		})
	}
}

func TestVersionsOrderBy(t *testing.T) {
	ts := newTestServer(t, Generate(GenerateOptions{Seed: 8, VersionsPerProject: 5, IssuesPerProject: 1}))
	tests := []struct {
		orderBy string
		want    []string
	}{
		{"", []string{"10000", "10001", "10002", "10003", "10004"}},
		{"sequence", []string{"10000", "10001", "10002", "10003", "10004"}},
		{"-sequence", []string{"10004", "10003", "10002", "10001", "10000"}},
		{"-name", []string{"10004", "10003", "10002", "10001", "10000"}},
	}
	for _, tt := range tests {
		t.Run(tt.orderBy, func(t *testing.T) {
			status, body := ts.do(t, "GET", "/rest/api/3/project/GA/version?orderBy="+tt.orderBy, nil)
			require.Equal(t, 200, status)
			var page jirajson.PageBeanVersion
			require.NoError(t, json.Unmarshal(body, &page))
			var ids []string
			for _, v := range page.Values {
				ids = append(ids, v.ID)
			}
			assert.Equal(t, tt.want, ids)
		})
	}
	status, body := ts.do(t, "GET", "/rest/api/3/project/GA/version?orderBy=color", nil)
	assert.Equal(t, 400, status)
	assert.Contains(t, string(body), "Invalid orderBy value 'color'")
}

func TestFaults(t *testing.T) {
	ts := newTestServer(t, Generate(GenerateOptions{Seed: 1, IssuesPerProject: 1}))
	ts.emu.SetFaults(Faults{RateLimitEvery: 3, RetryAfter: "1", MalformedEvery: 2})
	var statuses []int
	var bodies []string
	for range 6 {
		req, err := http.NewRequestWithContext(t.Context(), "GET", ts.url+"/rest/api/3/myself", nil)
		require.NoError(t, err)
		req.SetBasicAuth(testEmail, testToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		bodies = append(bodies, string(body))
		if resp.StatusCode == 429 {
			assert.Equal(t, "1", resp.Header.Get("Retry-After"))
		}
	}
	assert.Equal(t, []int{200, 200, 429, 200, 200, 429}, statuses)
	assert.True(t, json.Valid([]byte(bodies[0])))
	assert.False(t, json.Valid([]byte(bodies[1])), "request 2 is malformed")
	assert.False(t, json.Valid([]byte(bodies[3])), "request 4 is malformed")
	assert.Equal(t, 6, ts.emu.Count("/rest/api/3/myself"))
	assert.Equal(t, map[string]int{"/rest/api/3/myself": 6}, ts.emu.CountByPath())
	ts.emu.ResetLog()
	assert.Empty(t, ts.emu.Requests())
}

func TestMutations(t *testing.T) {
	site := Generate(GenerateOptions{Seed: 6, Projects: 2, IssuesPerProject: 3})
	site.TimeZone = "UTC"
	ts := newTestServer(t, site)
	ts.now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	id := site.Issues[0].ID

	require.NoError(t, ts.emu.AddStatusChange(id, ts.now.Add(-time.Hour), GenStatusDone, GenStatusInProgress))
	rec := ts.emu.findIssue(id)
	assert.Equal(t, GenStatusInProgress, rec.index.statusID)
	assert.True(t, rec.index.updated.Equal(ts.now), "updated is stamped with the emulator clock")

	require.NoError(t, ts.emu.MoveIssue(id, "GB"))
	assert.Equal(t, "GB-4", rec.Key)
	assert.Equal(t, "10001", rec.index.projectID)

	require.NoError(t, ts.emu.DeleteIssue(site.Issues[1].ID))
	assert.Nil(t, ts.emu.findIssue("GA-2"))

	added := &IssueRecord{ID: "99999", Key: "GA-99"}
	require.NoError(t, added.SetField("project", jirajson.Project{ID: "10000", Key: "GA"}))
	require.NoError(t, ts.emu.AddIssue(added))
	status, body := ts.do(t, "POST", "/rest/api/3/search/approximate-count", jirajson.CountRequest{JQL: `project = GA AND updated >= "2026/03/01 12:00"`})
	require.Equal(t, 200, status)
	assert.JSONEq(t, `{"count":1}`, string(body))

	assert.Error(t, ts.emu.UpdateIssue("nope", func(*IssueRecord) {}))
	assert.Error(t, ts.emu.AddIssue(added), "duplicate id")
}

func TestWriteDirRoundTrip(t *testing.T) {
	site := Generate(GenerateOptions{Seed: 7, Projects: 2, IssuesPerProject: 40})
	site.Permissions = map[string][]string{"acc": {"10000"}}
	dir := filepath.Join(t.TempDir(), "site")
	require.NoError(t, site.WriteDir(dir))

	back, err := LoadDir(dir)
	require.NoError(t, err)

	assert.Equal(t, site.TimeZone, back.TimeZone)
	assert.Equal(t, site.Projects, back.Projects)
	assert.Equal(t, site.Versions, back.Versions)
	assert.Equal(t, site.Permissions, back.Permissions)
	require.Len(t, back.Issues, len(site.Issues))
	for i := range site.Issues {
		assert.Equal(t, site.Issues[i].index, back.Issues[i].index)
		assert.Equal(t, len(site.Issues[i].Histories), len(back.Issues[i].Histories))
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	opts := GenerateOptions{Seed: 42, Projects: 3, IssuesPerProject: 100}
	a, err := json.Marshal(Generate(opts))
	require.NoError(t, err)
	b, err := json.Marshal(Generate(opts))
	require.NoError(t, err)
	assert.Equal(t, string(a), string(b))

	other, err := json.Marshal(Generate(GenerateOptions{Seed: 43, Projects: 3, IssuesPerProject: 100}))
	require.NoError(t, err)
	assert.NotEqual(t, string(a), string(other))
}

func TestGenerateIsRealistic(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	site := Generate(GenerateOptions{Seed: 9, Projects: 3, IssuesPerProject: 500, Now: now, Days: 90})
	offsets := map[int]bool{}
	types := map[string]int{}
	long, done := 0, 0
	for _, r := range site.Issues {
		_, off := r.index.created.Zone()
		offsets[off] = true
		types[r.index.typeID]++
		assert.True(t, r.index.created.Before(now), "created before Now")
		assert.False(t, r.index.created.Before(now.AddDate(0, 0, -90)), "created within Days")
		if len(r.Histories) > 40 {
			long++
		}
		if r.index.statusID == GenStatusDone {
			done++
			assert.False(t, r.index.resolved.IsZero(), "%s is done with a resolution date", r.Key)
		}
	}
	assert.Len(t, site.Projects, 3)
	assert.GreaterOrEqual(t, len(offsets), 3, "each project writes timestamps in its own zone")
	assert.Positive(t, types[GenTypeBug]+types[GenTypeIncident])
	assert.Positive(t, types[GenTypeSubtask])
	assert.Equal(t, 30, long, "every 50th issue has a long history")
	assert.Greater(t, done, 750)
}

func TestLoadSampleSite(t *testing.T) {
	dir := samplesite.Dir(t)
	site, err := LoadDir(dir)
	require.NoError(t, err)
	assert.Len(t, site.Projects, 2)
	for _, r := range site.Issues {
		for k := 1; k < len(r.Histories); k++ {
			assert.False(t, r.Histories[k].Created.Before(r.Histories[k-1].Created.Time), "%s histories oldest first", r.Key)
		}
	}
}

func TestProjectAdminPermission(t *testing.T) {
	site := Generate(GenerateOptions{Seed: 5, Projects: 2, IssuesPerProject: 1})
	site.Permissions = map[string][]string{"lead": {"10000"}, testAccount: {"10000", "10001"}}
	emu := New(site, EmulatorOptions{Users: []User{
		{AccountID: testAccount, Email: testEmail, APIToken: testToken},
		{AccountID: "lead", Email: "lead@example.com", APIToken: "lead-token", ProjectAdmin: true},
	}})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	get := func(t *testing.T, email, token, path string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
		require.NoError(t, err)
		req.SetBasicAuth(email, token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(data)
	}
	tests := []struct {
		name, email, token, project string
		status                      int
		have                        bool
	}{
		{"project admin on a browsable project", "lead@example.com", "lead-token", "10000", 200, true},
		{"project admin on a hidden project", "lead@example.com", "lead-token", "10001", 404, false},
		{"plain user", testEmail, testToken, "10000", 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, tt.email, tt.token, "/rest/api/3/mypermissions?permissions=ADMINISTER_PROJECTS&projectId="+tt.project)
			require.Equal(t, tt.status, status, body)
			if status == 200 {
				var mine jirajson.MyPermissions
				require.NoError(t, json.Unmarshal([]byte(body), &mine))
				assert.Equal(t, tt.have, mine.Permissions["ADMINISTER_PROJECTS"].HavePermission)
			}
		})
	}
}

func TestBulkIssues(t *testing.T) {
	site := Generate(GenerateOptions{Seed: 6, Projects: 2, IssuesPerProject: 3})
	site.Permissions = map[string][]string{testAccount: {"10001"}}
	ts := newTestServer(t, site)
	var visible, hidden []*IssueRecord
	for _, rec := range site.Issues {
		if rec.index.projectID == "10001" {
			visible = append(visible, rec)
		} else {
			hidden = append(hidden, rec)
		}
	}
	require.Len(t, visible, 3)
	req := jirajson.BulkIssueRequest{
		// Out of order, by key and by id, with a hidden issue, an unknown id and a repeat.
		IssueIDsOrKeys: []string{visible[2].ID, hidden[0].ID, visible[0].Key, "99999999", visible[2].ID},
		Fields:         []string{"status", "created"},
	}

	status, body := ts.do(t, "POST", "/rest/api/3/issue/bulkfetch", req)
	require.Equal(t, 200, status, string(body))
	var res jirajson.BulkIssueResults
	require.NoError(t, json.Unmarshal(body, &res))

	require.Len(t, res.Issues, 2, "visible issues only, each once")
	assert.Equal(t, visible[0].ID, res.Issues[0].ID, "ascending id order")
	assert.Equal(t, visible[2].ID, res.Issues[1].ID)
	assert.Empty(t, res.IssueErrors)
	assert.NotContains(t, string(body), `"issuetype"`, "only the requested fields")
	assert.Contains(t, string(body), `"issueErrors":[]`)

	ts.emu.SetFaults(Faults{BulkIssueErrors: 1})
	status, body = ts.do(t, "POST", "/rest/api/3/issue/bulkfetch", req)
	require.Equal(t, 200, status)
	res = jirajson.BulkIssueResults{}
	require.NoError(t, json.Unmarshal(body, &res))
	require.Len(t, res.IssueErrors, 1, "the injected retriable failure")
	assert.Equal(t, visible[2].ID, res.IssueErrors[0].ID, "the first visible issue requested")
	require.Len(t, res.Issues, 1)
	assert.Equal(t, visible[0].ID, res.Issues[0].ID)

	ts.emu.SetFaults(Faults{NoBulkIssues: true})
	status, _ = ts.do(t, "POST", "/rest/api/3/issue/bulkfetch", req)
	assert.Equal(t, 404, status)

	status, body = ts.do(t, "GET", "/rest/api/3/issue/"+visible[1].ID+"?fields=id", nil)
	require.Equal(t, 200, status, "one issue by id")
	var single jirajson.IssueRef
	require.NoError(t, json.Unmarshal(body, &single))
	assert.Equal(t, visible[1].ID, single.ID)
	status, _ = ts.do(t, "GET", "/rest/api/3/issue/"+hidden[0].ID, nil)
	assert.Equal(t, 404, status, "an issue of a project the account cannot browse")
	status, _ = ts.do(t, "GET", "/rest/api/3/issue/99999999", nil)
	assert.Equal(t, 404, status, "an issue that does not exist")
}

func TestBulkIssuesLimits(t *testing.T) {
	ts := newTestServer(t, Generate(GenerateOptions{Seed: 4, IssuesPerProject: 1}))
	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = "1"
	}
	for name, ids := range map[string][]string{"no ids": nil, "101 ids": tooMany} {
		t.Run(name, func(t *testing.T) {
			status, body := ts.do(t, "POST", "/rest/api/3/issue/bulkfetch", jirajson.BulkIssueRequest{IssueIDsOrKeys: ids})
			assert.Equal(t, 400, status)
			assert.Contains(t, string(body), "between 1 and 100")
		})
	}
	status, _ := ts.do(t, "GET", "/rest/api/3/issue/bulkfetch", nil)
	assert.Equal(t, 405, status)
}

// TestHistoriesJSONMatchesEncoder checks the emulator's own changelog encoding against
// encoding/json on edge cases, generated histories and the sample site's.
func TestHistoriesJSONMatchesEncoder(t *testing.T) {
	check := func(t *testing.T, histories []jirajson.History) {
		t.Helper()
		want, err := json.Marshal(histories)
		require.NoError(t, err)
		if histories == nil {
			want = []byte("[]") // the emulator writes an empty list, as Jira does
		}
		assert.JSONEq(t, string(want), string(appendHistoriesJSON(nil, histories)))
	}
	t.Run("edge cases", func(t *testing.T) {
		check(t, nil)
		check(t, []jirajson.History{})
		check(t, []jirajson.History{{ID: "1"}, {ID: "2", Items: []jirajson.HistoryItem{{Field: "status", ToString: "Done \"now\" <ok> & \u00e9\n"}}}})
	})
	t.Run("generated site", func(t *testing.T) {
		for _, rec := range Generate(GenerateOptions{Seed: 7, IssuesPerProject: 200}).Issues {
			check(t, rec.Histories)
		}
	})
	t.Run("sample site", func(t *testing.T) {
		site, err := LoadDir(samplesite.Dir(t))
		require.NoError(t, err)
		for _, rec := range site.Issues {
			check(t, rec.Histories)
		}
	})
}
