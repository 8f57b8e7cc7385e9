package jirajson

import (
	"encoding/json"
	"testing"
)

// Each fuzz target decodes arbitrary bytes into one of the package's types and converts the
// result into engine facts; neither step may panic. Run one with
// go test -run '^$' -fuzz '^FuzzIssue$' -fuzztime 30s ./internal/jirajson

func FuzzTime(f *testing.F) {
	for _, seed := range []string{`"2020-06-12T08:13:13.360+0800"`, `"2020-06-12T00:13:13Z"`, `null`, `""`, `"x"`, `12`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v Time
		_ = json.Unmarshal(data, &v)
	})
}

func FuzzReleaseDate(f *testing.F) {
	for _, seed := range []string{`"2020-06-30"`, `1593475200000`, `1593475200`, `-1e20`, `null`, `"2020-06-30T10:00:00Z"`, `"2020-02-30"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v ReleaseDate
		if err := json.Unmarshal(data, &v); err == nil {
			_, _ = v.MarshalJSON()
		}
	})
}

func FuzzIssue(f *testing.F) {
	f.Add([]byte(`{"id":"1","key":"A-1","fields":{"issuetype":{"id":"1"},"status":{"id":"3"},"created":"2020-06-12T08:13:13.360+0800",` +
		`"fixVersions":[{"id":"7","releaseDate":"2020-06-30"}],"versions":[{"id":"8"}]},` +
		`"changelog":{"total":1,"histories":[{"id":"5","created":"2020-06-13T08:00:00.000+0800","items":[{"field":"status","fieldId":"status","from":"1","to":"3"}]}]}}`))
	f.Add([]byte(`{"fields":null,"changelog":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v Issue
		if err := json.Unmarshal(data, &v); err == nil {
			_ = v.Facts(nil)
		}
	})
}

func FuzzPageBeanChangelog(f *testing.F) {
	f.Add([]byte(`{"startAt":0,"maxResults":100,"total":1,"isLast":true,"values":[{"id":"1","created":"2020-06-12T08:13:13.360+0800","items":[{"field":"status","from":"1","to":"3"}]}]}`))
	f.Add([]byte(`{"values":[{"created":null,"items":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v PageBeanChangelog
		if err := json.Unmarshal(data, &v); err == nil {
			_ = Transitions(v.Values)
		}
	})
}

func FuzzBulkChangelogResponse(f *testing.F) {
	f.Add([]byte(`{"issueChangeLogs":[{"issueId":"10063","changeHistories":[{"id":"1","created":"2020-06-12T08:13:13.360+0800","items":[{"fieldId":"status","from":"1","to":"3"}]}]}],"nextPageToken":"abc"}`))
	f.Add([]byte(`{"issueChangeLogs":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v BulkChangelogResponse
		if err := json.Unmarshal(data, &v); err == nil {
			for _, log := range v.IssueChangeLogs {
				_ = Transitions(log.ChangeHistories)
			}
		}
	})
}

func FuzzVersions(f *testing.F) {
	f.Add([]byte(`[{"id":"10009","name":"v2.6.0","archived":true,"released":true,"releaseDate":"2020-06-30","projectId":10003}]`))
	f.Add([]byte(`[{"id":"1","projectId":"10003","releaseDate":1593475200000}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v []Version
		if err := json.Unmarshal(data, &v); err == nil {
			_ = Versions(v)
		}
	})
}

func FuzzStatuses(f *testing.F) {
	f.Add([]byte(`[{"id":"3","name":"In Progress","statusCategory":{"id":4,"key":"indeterminate"},"scope":{"type":"PROJECT","project":{"id":"10003"}}}]`))
	f.Add([]byte(`[{"id":"3","statusCategory":null}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v []Status
		if err := json.Unmarshal(data, &v); err == nil {
			_ = StatusCategories(v)
		}
	})
}

func FuzzIssueTypes(f *testing.F) {
	f.Add([]byte(`[{"id":"10004","name":"缺陷","untranslatedName":"Bug","subtask":false,"hierarchyLevel":0}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v []IssueType
		if err := json.Unmarshal(data, &v); err == nil {
			_ = IssueTypes(v)
		}
	})
}

func FuzzMyself(f *testing.F) {
	f.Add([]byte(`{"accountId":"5b10","timeZone":"Asia/Shanghai","locale":"zh_CN"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v Myself
		_ = json.Unmarshal(data, &v)
	})
}
