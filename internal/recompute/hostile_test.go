package recompute

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
	"github.com/devops-metrics/devops-metrics/internal/samplesite"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// rewriter serves the emulator and passes the JSON replies of one endpoint through mutate.
type rewriter struct {
	next   http.Handler
	path   string
	mutate func(n int, body map[string]any) []byte
	calls  atomic.Int64
}

func (rw *rewriter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, rw.path) || rw.mutate == nil {
		rw.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	rw.next.ServeHTTP(rec, r)
	var body map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	out := rw.mutate(int(rw.calls.Add(1)), body)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// onIssues applies change to the first issue of every search page or bulk fetch reply that has one.
func onIssues(change func(issue map[string]any)) func(int, map[string]any) []byte {
	return func(_ int, body map[string]any) []byte {
		if issues, ok := body["issues"].([]any); ok && len(issues) > 0 {
			change(issues[0].(map[string]any))
		}
		return mustJSON(body)
	}
}

func onFields(change func(fields map[string]any)) func(int, map[string]any) []byte {
	return onIssues(func(issue map[string]any) {
		if fields, ok := issue["fields"].(map[string]any); ok {
			change(fields)
		}
	})
}

func TestSyncMalformedJiraReplies(t *testing.T) {
	dir := samplesite.Dir(t)
	cases := []struct {
		name   string
		path   string
		mutate func(int, map[string]any) []byte
	}{
		{"created in an odd format", "/issue/bulkfetch", onFields(func(f map[string]any) { f["created"] = "2020/06/01 10:00" })},
		{"created as a number", "/issue/bulkfetch", onFields(func(f map[string]any) { f["created"] = 1591000000000 })},
		{"created missing", "/issue/bulkfetch", onFields(func(f map[string]any) { delete(f, "created") })},
		{"created in year 1", "/issue/bulkfetch", onFields(func(f map[string]any) { f["created"] = "0001-01-01T00:00:00.000+0000" })},
		{"created in year 9999", "/issue/bulkfetch", onFields(func(f map[string]any) { f["created"] = "9999-12-31T23:59:59.000+0000" })},
		{"resolved before created", "/issue/bulkfetch", onFields(func(f map[string]any) { f["resolutiondate"] = "1990-01-01T00:00:00.000+0000" })},
		{"id as a number", "/issue/bulkfetch", onIssues(func(i map[string]any) { i["id"] = 123456 })},
		{"empty id", "/issue/bulkfetch", onIssues(func(i map[string]any) { i["id"] = "" })},
		{"id longer than a store key", "/issue/bulkfetch", onIssues(func(i map[string]any) { i["id"] = strings.Repeat("9", 300) })},
		{"id not requested", "/issue/bulkfetch", onIssues(func(i map[string]any) { i["id"] = "77777777" })},
		{"listed id as a number", "/search/jql", onIssues(func(i map[string]any) { i["id"] = 123456 })},
		{"listed id empty", "/search/jql", onIssues(func(i map[string]any) { i["id"] = "" })},
		{"listed id longer than a store key", "/search/jql", onIssues(func(i map[string]any) { i["id"] = strings.Repeat("9", 300) })},
		{"listed id not a number", "/search/jql", onIssues(func(i map[string]any) { i["id"] = "EE-1" })},
		{"issue error for every issue", "/issue/bulkfetch", func(_ int, b map[string]any) []byte {
			issues, _ := b["issues"].([]any)
			var errs []any
			for _, issue := range issues {
				errs = append(errs, map[string]any{"id": issue.(map[string]any)["id"], "errorMessage": "try again"})
			}
			return mustJSON(map[string]any{"issues": []any{}, "issueErrors": errs})
		}},
		{"fields missing", "/issue/bulkfetch", onIssues(func(i map[string]any) { delete(i, "fields") })},
		{"fields of the wrong type", "/issue/bulkfetch", onIssues(func(i map[string]any) { i["fields"] = []any{1, 2} })},
		{"unknown status id", "/issue/bulkfetch", onFields(func(f map[string]any) { f["status"] = map[string]any{"id": "999999"} })},
		{"status missing", "/issue/bulkfetch", onFields(func(f map[string]any) { delete(f, "status") })},
		{"issue type missing", "/issue/bulkfetch", onFields(func(f map[string]any) { delete(f, "issuetype") })},
		{"key missing", "/issue/bulkfetch", onIssues(func(i map[string]any) { delete(i, "key") })},
		{"issue of another project", "/issue/bulkfetch", onFields(func(f map[string]any) { f["project"] = map[string]any{"id": "99999", "key": "ZZ"} })},
		{"fix version that does not exist", "/issue/bulkfetch", onFields(func(f map[string]any) { f["fixVersions"] = []any{map[string]any{"id": "424242"}} })},
		{"issues null", "/search/jql", func(_ int, b map[string]any) []byte { b["issues"] = nil; return mustJSON(b) }},
		{"issues an object", "/search/jql", func(_ int, b map[string]any) []byte { b["issues"] = map[string]any{}; return mustJSON(b) }},
		{"duplicate issues on every page", "/search/jql", func(_ int, b map[string]any) []byte {
			if issues, ok := b["issues"].([]any); ok && len(issues) > 0 {
				b["issues"] = append(issues, issues[0], issues[0])
			}
			return mustJSON(b)
		}},
		{"nextPageToken cycle", "/search/jql", func(n int, b map[string]any) []byte {
			b["isLast"] = false
			b["nextPageToken"] = []string{"token-a", "token-b"}[n%2]
			return mustJSON(b)
		}},
		{"truncated page", "/search/jql", func(_ int, b map[string]any) []byte {
			full := mustJSON(b)
			return full[:len(full)/2]
		}},
		{"history at an odd time", "/changelog/bulkfetch", func(_ int, b map[string]any) []byte {
			for _, log := range b["issueChangeLogs"].([]any) {
				for _, h := range log.(map[string]any)["changeHistories"].([]any) {
					h.(map[string]any)["created"] = "yesterday"
				}
			}
			return mustJSON(b)
		}},
		{"history to an unknown status", "/changelog/bulkfetch", func(_ int, b map[string]any) []byte {
			for _, log := range b["issueChangeLogs"].([]any) {
				for _, h := range log.(map[string]any)["changeHistories"].([]any) {
					for _, item := range h.(map[string]any)["items"].([]any) {
						item.(map[string]any)["to"] = "999999"
					}
				}
			}
			return mustJSON(b)
		}},
		{"history of an issue not requested", "/changelog/bulkfetch", func(_ int, b map[string]any) []byte {
			logs, _ := b["issueChangeLogs"].([]any)
			b["issueChangeLogs"] = append(logs, map[string]any{"issueId": "77777777", "changeHistories": []any{}})
			return mustJSON(b)
		}},
		{"changelog page token cycle", "/changelog/bulkfetch", func(_ int, b map[string]any) []byte {
			b["nextPageToken"] = "again"
			return mustJSON(b)
		}},
	}
	// mustFail names the replies that no sync may accept. The others may be stored as sent.
	mustFail := map[string]bool{
		"created in an odd format": true, "created as a number": true, "created missing": true, "id as a number": true,
		"empty id": true, "id not requested": true, "listed id as a number": true, "listed id empty": true,
		"listed id longer than a store key": true, "listed id not a number": true, "issue error for every issue": true, "status missing": true, "issue type missing": true, "key missing": true, "id longer than a store key": true, "fields of the wrong type": true, "issues an object": true,
		"nextPageToken cycle": true, "truncated page": true, "history at an odd time": true, "changelog page token cycle": true,
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			site, err := jiraemu.LoadDir(dir)
			require.NoError(t, err)
			emu := jiraemu.New(site, jiraemu.EmulatorOptions{
				Users: []jiraemu.User{{AccountID: testAccountID, Email: testEmail, APIToken: testAPIToken}},
				Now:   func() time.Time { return sampleNow },
			})
			rw := &rewriter{next: emu, path: tc.path}
			server := httptest.NewServer(rw)
			t.Cleanup(server.Close)
			client, err := jira.NewBasic(server.URL, testEmail, testAPIToken, jira.Options{Logger: quietLogger, MaxAttempts: 2,
				Sleep: func(context.Context, time.Duration) error { return nil }})
			require.NoError(t, err)
			t.Cleanup(client.Close)
			var logs bytes.Buffer
			slogTo := func(w *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
			st := openStore(t)
			r := New(st, Options{Logger: slogTo(&logs), Now: func() time.Time { return sampleNow }})
			require.NoError(t, r.Run(context.Background(), "dev", client), "a clean first sync")
			good, err := st.Reports("dev", "10003")
			require.NoError(t, err)

			// A full sync in an empty store, and an incremental one over the good data.
			rw.mutate = tc.mutate
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			fresh := openStore(t)
			freshErr := New(fresh, Options{Logger: slogTo(&logs), Now: func() time.Time { return sampleNow }}).Run(ctx, "dev", client)
			stored, err := st.ProjectData("dev", "10003")
			require.NoError(t, err)
			require.NoError(t, emu.UpdateIssue(stored.Issues[0].ID, func(*jiraemu.IssueRecord) {}))
			incrementalErr := r.Run(ctx, "dev", client)

			require.NoError(t, ctx.Err(), "the syncs ended on their own")
			t.Logf("full sync: %v, incremental sync: %v", freshErr, incrementalErr)
			if mustFail[tc.name] {
				assert.Error(t, freshErr, "full sync")
				assert.Error(t, incrementalErr, "incremental sync")
			}
			if freshErr != nil {
				_, err := fresh.Reports("dev", "10003")
				assert.True(t, err == nil || errors.Is(err, store.ErrNotFound), "reports after a failed sync: %v", err)
			}
			if incrementalErr != nil {
				after, err := st.Reports("dev", "10003")
				require.NoError(t, err)
				assert.Equal(t, good, after, "a failed sync keeps the previous reports")
			}
			for _, s := range []*store.Store{st, fresh} {
				data, err := s.ProjectData("dev", "10003")
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				require.NoError(t, err)
				for _, issue := range data.Issues {
					assert.NotEmpty(t, issue.ID)
				}
			}
		})
	}
}
