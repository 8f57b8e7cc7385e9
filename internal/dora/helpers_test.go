package dora

import (
	"testing"
	"time"
)

// Status ids of the test fixtures: 1 is new, 3 indeterminate, 6 and 7 done.
const (
	statusOpen       = "1"
	statusInProgress = "3"
	statusDone       = "6"
	statusClosed     = "7"
)

// Issue type ids of the test fixtures.
const (
	typeStory      = "10001"
	typeBug        = "10004"
	typeSubtask    = "10003"
	typeEpic       = "10000"
	typeInitiative = "10010"
)

func testStatuses() map[string]StatusCategory {
	return map[string]StatusCategory{
		statusOpen:       CategoryNew,
		statusInProgress: CategoryIndeterminate,
		statusDone:       CategoryDone,
		statusClosed:     CategoryDone,
	}
}

func testIssueTypes() map[string]IssueType {
	return map[string]IssueType{
		typeStory:      {ID: typeStory, UntranslatedName: "Story"},
		typeBug:        {ID: typeBug, UntranslatedName: "Bug"},
		typeSubtask:    {ID: typeSubtask, UntranslatedName: "Sub-task", Subtask: true, HierarchyLevel: -1},
		typeEpic:       {ID: typeEpic, UntranslatedName: "Epic", HierarchyLevel: 1},
		typeInitiative: {ID: typeInitiative, UntranslatedName: "Initiative", HierarchyLevel: 2},
	}
}

// projectData returns ProjectData with the fixture statuses and issue types in UTC.
func projectData(versions []Version, issues ...Issue) ProjectData {
	return ProjectData{
		Project:      Project{ID: "100", Key: "T", Name: "Test"},
		Statuses:     testStatuses(),
		IssueTypes:   testIssueTypes(),
		Versions:     versions,
		Issues:       issues,
		SiteTimeZone: "UTC",
	}
}

func ts(t testing.TB, s string) time.Time {
	t.Helper()
	parsed, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad fixture time %q: %v", s, err)
	}
	return parsed
}

func date(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatalf("bad fixture date %q: %v", s, err)
	}
	return d
}

func released(t testing.TB, id, name, releaseDate string) Version {
	return Version{ID: id, Name: name, Released: true, ReleaseDate: date(t, releaseDate)}
}

// change returns a story created at created that moved to In Progress at started and to Done
// at done (each skipped when ""), resolved at done, with the given fix versions.
func change(t testing.TB, key, created, started, done string, fixVersions ...string) Issue {
	issue := Issue{ID: "id-" + key, Key: key, TypeID: typeStory, Created: ts(t, created), StatusID: statusOpen, FixVersionIDs: fixVersions}
	if started != "" {
		issue.Transitions = append(issue.Transitions, Transition{At: ts(t, started), From: statusOpen, To: statusInProgress})
		issue.StatusID = statusInProgress
	}
	if done != "" {
		issue.Transitions = append(issue.Transitions, Transition{At: ts(t, done), From: statusInProgress, To: statusDone})
		issue.Resolved = ts(t, done)
		issue.StatusID = statusDone
	}
	return issue
}

// incident returns a bug created at created and done at done ("" for open), with Affects versions.
func incident(t testing.TB, key, created, done string, affects ...string) Issue {
	issue := change(t, key, created, "", done)
	issue.TypeID = typeBug
	issue.AffectsVersionIDs = affects
	return issue
}

func window(t testing.TB, from, to string) Window {
	return Window{From: date(t, from), To: date(t, to), Location: time.UTC}
}

func compute(t testing.TB, data ProjectData, cfg Config, w Window) (Report, Evidence) {
	t.Helper()
	report, evidence, err := Compute(data, cfg, w, ts(t, "2030-01-01T00:00:00Z"))
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	return report, evidence
}
