package jirajson

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/samplesite"
)

func TestParseTime(t *testing.T) {
	shanghai := time.FixedZone("", 8*3600)
	tests := []struct {
		name  string
		input string
		want  time.Time
	}{
		{"jira millis and offset without colon", "2020-06-12T08:13:13.360+0800", time.Date(2020, 6, 12, 8, 13, 13, 360e6, shanghai)},
		{"jira without millis", "2020-06-12T08:13:13+0800", time.Date(2020, 6, 12, 8, 13, 13, 0, shanghai)},
		{"rfc3339 utc", "2020-06-12T00:13:13Z", time.Date(2020, 6, 12, 0, 13, 13, 0, time.UTC)},
		{"rfc3339 offset with colon", "2020-06-12T08:13:13.36+08:00", time.Date(2020, 6, 12, 8, 13, 13, 360e6, shanghai)},
		{"millis with Z", "2020-06-12T00:13:13.360Z", time.Date(2020, 6, 12, 0, 13, 13, 360e6, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTime(tt.input)
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %v, want %v", got, tt.want)
		})
	}
}

func TestParseTimeRejects(t *testing.T) {
	for _, input := range []string{"", "2020-06-12", "yesterday", "2020-13-12T08:13:13.360+0800"} {
		t.Run(input, func(t *testing.T) {
			_, err := ParseTime(input)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "invalid Jira timestamp")
		})
	}
}

func TestTimeNullAndEmpty(t *testing.T) {
	for _, input := range []string{`null`, `""`} {
		var got Time
		require.NoError(t, json.Unmarshal([]byte(input), &got))
		assert.True(t, got.IsZero(), input)
	}
}

func TestReleaseDateForms(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  dora.Date
	}{
		{"date string", `"2020-06-30"`, dora.Date{Year: 2020, Month: 6, Day: 30}},
		{"epoch millis", `1593475200000`, dora.Date{Year: 2020, Month: 6, Day: 30}},
		{"epoch seconds", `1593475200`, dora.Date{Year: 2020, Month: 6, Day: 30}},
		{"timestamp string keeps written date", `"2020-06-30T23:00:00.000-0500"`, dora.Date{Year: 2020, Month: 6, Day: 30}},
		{"null is no date", `null`, dora.Date{}},
		{"empty string is no date", `""`, dora.Date{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got ReleaseDate
			require.NoError(t, json.Unmarshal([]byte(tt.input), &got))
			assert.Equal(t, tt.want, dora.Date(got))
		})
	}
}

func TestReleaseDateRejects(t *testing.T) {
	for _, input := range []string{`"30/06/2020"`, `true`, `{}`, `1e300`} {
		t.Run(input, func(t *testing.T) {
			var got ReleaseDate
			err := json.Unmarshal([]byte(input), &got)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "release date")
		})
	}
}

func TestIDStringOrNumber(t *testing.T) {
	var v Version
	require.NoError(t, json.Unmarshal([]byte(`{"id":"10009","projectId":10003}`), &v))
	assert.Equal(t, ID("10003"), v.ProjectID)
	require.NoError(t, json.Unmarshal([]byte(`{"id":"10009","projectId":"10004"}`), &v))
	assert.Equal(t, ID("10004"), v.ProjectID)
	assert.Error(t, json.Unmarshal([]byte(`{"projectId":1.5}`), &v))
}

func TestIssueIgnoresUnknownFields(t *testing.T) {
	raw := `{"id":"1","key":"A-1","expand":"x","fields":{"customfield_1":{"deep":[1,2]},"summary":"s",
	"issuetype":{"id":"10004","name":"缺陷","subtask":false,"hierarchyLevel":0},
	"status":{"id":"3","statusCategory":{"key":"indeterminate"}},
	"created":"2020-06-12T08:13:13.360+0800","resolutiondate":null,
	"fixVersions":[{"id":"7","name":"v1","released":true,"releaseDate":"2020-06-30"}],"versions":[]}}`
	var issue Issue
	require.NoError(t, json.Unmarshal([]byte(raw), &issue))
	facts := issue.Facts(nil)
	assert.Equal(t, "A-1", facts.Key)
	assert.Equal(t, "10004", facts.TypeID)
	assert.Equal(t, "3", facts.StatusID)
	assert.Equal(t, []string{"7"}, facts.FixVersionIDs)
	assert.Nil(t, facts.AffectsVersionIDs)
	assert.True(t, facts.Resolved.IsZero())
	assert.Empty(t, facts.Transitions)
}

func TestFactsStatusItemsOldestFirst(t *testing.T) {
	at := func(s string) Time { return Time{mustTime(t, s)} }
	histories := []History{
		{ID: "30", Created: at("2020-06-03T10:00:00.000+0800"), Items: []HistoryItem{{Field: "status", FieldID: "status", From: "3", To: "6"}}},
		{ID: "20", Created: at("2020-06-02T10:00:00.000+0800"), Items: []HistoryItem{
			{Field: "assignee", FieldID: "assignee", From: "a", To: "b"},
			{Field: "status", From: "1", To: "3"},
		}},
		{ID: "12", Created: at("2020-06-01T10:00:00.000+0800"), Items: []HistoryItem{{Field: "Status", FieldID: "customfield_1", From: "x", To: "y"}}},
		{ID: "11", Created: at("2020-06-01T10:00:00.000+0800"), Items: []HistoryItem{{Field: "status", FieldID: "status", From: "10", To: "1"}}},
	}
	embedded := Issue{ID: "1", Changelog: &Changelog{Histories: histories[:1]}}
	got := embedded.Facts(histories).Transitions
	require.Len(t, got, 3)
	assert.Equal(t, "1", got[0].To, "the earliest history comes first")
	assert.Equal(t, "3", got[1].To)
	assert.Equal(t, "6", got[2].To)
	assert.Len(t, embedded.Facts(nil).Transitions, 1, "nil histories use the embedded changelog")
	assert.Equal(t, "30", histories[0].ID, "the caller's slice is not reordered")
}

func TestStatusCategoriesSkipUnknownKeys(t *testing.T) {
	got := StatusCategories([]Status{
		{ID: "1", StatusCategory: StatusCategory{Key: "new"}},
		{ID: "3", StatusCategory: StatusCategory{Key: "indeterminate"}},
		{ID: "6", StatusCategory: StatusCategory{Key: "done"}},
		{ID: "9", StatusCategory: StatusCategory{Key: "undefined"}},
	})
	assert.Equal(t, map[string]dora.StatusCategory{"1": dora.CategoryNew, "3": dora.CategoryIndeterminate, "6": dora.CategoryDone}, got)
}

func TestDecodeSampleSite(t *testing.T) {
	dir := samplesite.Dir(t)

	var issues []Issue
	decodeFile(t, filepath.Join(dir, "issues.json"), &issues)
	require.NotEmpty(t, issues)
	for _, issue := range issues {
		require.NotEmpty(t, issue.ID)
		require.False(t, issue.Fields.Created.IsZero(), issue.Key)
		require.NotNil(t, issue.Changelog, issue.Key)
		assert.Len(t, issue.Changelog.Histories, issue.Changelog.Total, "%s has its complete history embedded", issue.Key)
		transitions := issue.Facts(nil).Transitions
		for k := 1; k < len(transitions); k++ {
			assert.False(t, transitions[k].At.Before(transitions[k-1].At), "%s transitions are oldest first", issue.Key)
		}
	}

	var statuses []Status
	decodeFile(t, filepath.Join(dir, "statuses.json"), &statuses)
	assert.NotEmpty(t, StatusCategories(statuses))

	var types []IssueType
	decodeFile(t, filepath.Join(dir, "issuetypes.json"), &types)
	assert.Equal(t, "Bug", IssueTypes(types)["10004"].UntranslatedName)

	var versions []Version
	decodeFile(t, filepath.Join(dir, "versions.json"), &versions)
	require.NotEmpty(t, versions)
	assert.False(t, Versions(versions)[0].ReleaseDate.IsZero())

	var page struct {
		IssueID   string    `json:"issueId"`
		Histories []History `json:"histories"`
	}
	decodeFile(t, filepath.Join(dir, "changelogs", "13383.json"), &page)
	assert.NotEmpty(t, page.Histories)
}

func decodeFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, v), path)
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	parsed, err := ParseTime(s)
	require.NoError(t, err)
	return parsed
}

// TestParseJiraLayoutMatchesTimeParse checks the fast parser against time.Parse on valid and
// invalid timestamps, in UTC and in a local zone with daylight saving time.
func TestParseJiraLayoutMatchesTimeParse(t *testing.T) {
	inputs := []string{
		"2020-06-12T08:13:13.360+0800", "2020-06-12T08:13:13.360-0000", "2020-06-12T08:13:13.360+0000",
		"2021-03-28T01:30:00.000+0100", "2021-03-28T03:30:00.000+0200", "2021-10-31T02:30:00.000+0100",
		"2020-02-29T23:59:59.999-1130", "2021-02-29T00:00:00.000+0000", "2020-13-01T00:00:00.000+0000",
		"2020-06-31T00:00:00.000+0000", "2020-06-12T24:00:00.000+0000", "2020-06-12T08:60:00.000+0000",
		"2020-06-12T08:13:60.000+0000", "2020-06-12T08:13:13.360+1500", "2020-06-12T08:13:13.360+0860",
		"2020-06-12T08:13:13.3x0+0800", "2020-06-12 08:13:13.360+0800", "0000-01-01T00:00:00.000+0000",
		"2020-06-12T08:13:13.360+08:00", "2020-06-12T08:13:13Z", "",
		"2020-06-12T08:13:13.360+0100", "2020-01-12T08:13:13.360+0000", // the London offset of the day
	}
	saved := time.Local
	t.Cleanup(func() { time.Local = saved })
	for _, zone := range []string{"UTC", "Europe/London"} {
		loc, err := time.LoadLocation(zone)
		require.NoError(t, err)
		time.Local = loc
		for _, s := range inputs {
			want, wantErr := time.Parse(timeLayouts[0], s)
			got, ok := parseJiraLayout(s)
			if wantErr != nil {
				assert.False(t, ok, "%s in %s: time.Parse rejects it", s, zone)
				continue
			}
			if !ok {
				continue // left to time.Parse, which is always correct
			}
			assert.Equal(t, want, got, "%s in %s", s, zone)
			assert.Equal(t, want.Location().String(), got.Location().String(), "%s in %s", s, zone)
		}
	}
}

func TestTransitionsCountRepeatedHistoryOnce(t *testing.T) {
	at := Time{Time: time.Date(2020, 6, 1, 10, 0, 0, 0, time.UTC)}
	h := History{ID: "7", Created: at, Items: []HistoryItem{{FieldID: "status", From: "1", To: "3"}}}
	other := History{ID: "8", Created: at, Items: []HistoryItem{{FieldID: "status", From: "3", To: "5"}}}

	got := Transitions([]History{h, other, h})

	require.Len(t, got, 2, "the repeated history 7 counts once")
	assert.Equal(t, "3", got[0].To)
	assert.Equal(t, "5", got[1].To)
}
