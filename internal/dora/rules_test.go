package dora

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func weekStarts(series []WeekCount) []string {
	var starts []string
	for _, week := range series {
		starts = append(starts, week.WeekStart)
	}
	return starts
}

func TestISOWeeks(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		want     []string
	}{
		{"window starting on a Monday", "2021-03-22", "2021-04-05", []string{"2021-03-22", "2021-03-29"}},
		{"window starting midweek includes its week", "2021-03-24", "2021-04-01", []string{"2021-03-22", "2021-03-29"}},
		{"ISO week across the year end", "2020-12-31", "2021-01-05", []string{"2020-12-28", "2021-01-04"}},
		{"single day on a Sunday", "2021-03-28", "2021-03-29", []string{"2021-03-22"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, _ := compute(t, projectData(nil), Config{}, window(t, tt.from, tt.to))
			assert.Equal(t, tt.want, weekStarts(report.DeploymentFrequency.Series))
			assert.Len(t, report.LeadTimeForChanges.Series, len(tt.want))
			assert.Len(t, report.ChangeFailureRate.Series, len(tt.want))
			assert.Len(t, report.FailedDeploymentRecoveryTime.Series, len(tt.want))
		})
	}
}

func TestDaylightSavingSwitch(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	// Clocks in Berlin moved from 02:00 CET to 03:00 CEST on Sunday 2021-03-28.
	data := projectData(
		[]Version{released(t, "v1", "1.0", "2021-03-28")},
		change(t, "T-1", "2021-03-20T09:00:00+01:00", "2021-03-27T12:00:00+01:00", "2021-03-28T10:00:00+02:00", "v1"),
	)
	data.SiteTimeZone = "Europe/Berlin"
	w := Window{From: date(t, "2021-03-22"), To: date(t, "2021-04-05"), Location: berlin}

	report, evidence := compute(t, data, Config{}, w)

	t.Run("release date ends at local midnight after the switch", func(t *testing.T) {
		require.Len(t, evidence.Deployments, 1)
		assert.True(t, evidence.Deployments[0].At.Equal(ts(t, "2021-03-28T22:00:00Z")), "got %v", evidence.Deployments[0].At)
	})
	t.Run("lead time counts real hours across the switch", func(t *testing.T) {
		require.NotNil(t, report.LeadTimeForChanges.MedianHours)
		assert.InDelta(t, 35.0, *report.LeadTimeForChanges.MedianHours, 1e-9)
	})
	t.Run("Sunday of the switch belongs to the week of Monday 22 March", func(t *testing.T) {
		assert.Equal(t, 1, report.DeploymentFrequency.Series[0].Count)
		assert.Equal(t, 0, report.DeploymentFrequency.Series[1].Count)
		assert.Equal(t, 1, report.LeadTimeForChanges.Series[0].Count)
	})
	t.Run("status deployment late on Sunday counts on that local day", func(t *testing.T) {
		issue := change(t, "T-2", "2021-03-20T09:00:00+01:00", "2021-03-27T12:00:00+01:00", "", "")
		issue.FixVersionIDs = nil
		issue.Transitions = append(issue.Transitions, Transition{At: ts(t, "2021-03-28T23:30:00+02:00"), From: statusInProgress, To: statusClosed})
		issue.Resolved = issue.Transitions[1].At
		statusData := data
		statusData.Issues = []Issue{issue}
		report, _ := compute(t, statusData, Config{DeploymentSource: SourceStatus, DeployedStatuses: []string{statusClosed}}, w)
		assert.Equal(t, 1, report.DeploymentFrequency.Series[0].Count)
	})
	t.Run("window timeZone is the zone name", func(t *testing.T) {
		assert.Equal(t, "Europe/Berlin", report.Window.TimeZone)
	})
}

func TestEarliestFixVersionWins(t *testing.T) {
	versions := []Version{
		released(t, "v2", "2.0", "2020-07-10"),
		released(t, "v1", "1.0", "2020-06-10"),
		{ID: "v0", Name: "0.9", Released: false, ReleaseDate: date(t, "2020-06-01")},
	}
	shipped := change(t, "T-1", "2020-06-01T00:00:00Z", "2020-06-05T00:00:00Z", "2020-06-09T00:00:00Z", "v2", "v0", "v1")

	t.Run("counts against the earliest released version", func(t *testing.T) {
		report, evidence := compute(t, projectData(versions, shipped), Config{}, window(t, "2020-06-01", "2020-08-01"))
		assert.Equal(t, 1, report.LeadTimeForChanges.Count)
		require.Len(t, evidence.Changes, 1)
		assert.Equal(t, "v1", evidence.Changes[0].DeploymentID)
		assert.InDelta(t, 6*24.0, evidence.Changes[0].Hours, 1e-9)
	})
	t.Run("not counted when the earliest release is outside the window", func(t *testing.T) {
		report, _ := compute(t, projectData(versions, shipped), Config{}, window(t, "2020-07-01", "2020-08-01"))
		assert.Equal(t, 0, report.LeadTimeForChanges.Count)
		assert.Nil(t, report.LeadTimeForChanges.MedianHours)
	})
}

func TestChangeExclusions(t *testing.T) {
	versions := []Version{released(t, "v1", "1.0", "2020-06-10")}
	w := window(t, "2020-06-01", "2020-07-01")
	tests := []struct {
		name         string
		issue        Issue
		wantCount    int
		wantQuality  DataQuality
		wantExcluded []ExcludedIssue
	}{
		{
			name:         "change not done is not counted",
			issue:        change(t, "T-1", "2020-06-01T00:00:00Z", "2020-06-02T00:00:00Z", "", "v1"),
			wantQuality:  DataQuality{NotDone: 1},
			wantExcluded: []ExcludedIssue{{Key: "T-1", Reason: ReasonNotDone}},
		},
		{
			name:         "negative duration is excluded and counted",
			issue:        change(t, "T-2", "2020-06-01T00:00:00Z", "2020-06-12T00:00:00Z", "2020-06-13T00:00:00Z", "v1"),
			wantQuality:  DataQuality{NegativeDurations: 1},
			wantExcluded: []ExcludedIssue{{Key: "T-2", Reason: ReasonNegativeDuration}},
		},
		{
			name:         "done without In Progress starts at created",
			issue:        change(t, "T-3", "2020-06-01T00:00:00Z", "", "2020-06-05T00:00:00Z", "v1"),
			wantCount:    1,
			wantQuality:  DataQuality{StartedAtCreated: 1},
			wantExcluded: []ExcludedIssue{{Key: "T-3", Reason: ReasonStartedAtCreated}},
		},
		{
			name: "done by a done transition without resolution date",
			issue: func() Issue {
				issue := change(t, "T-4", "2020-06-01T00:00:00Z", "2020-06-02T00:00:00Z", "2020-06-05T00:00:00Z", "v1")
				issue.Resolved = time.Time{}
				return issue
			}(),
			wantCount: 1,
		},
		{
			name: "transition into an unknown status is neither start nor done",
			issue: Issue{
				ID: "id-T-5", Key: "T-5", TypeID: typeStory, Created: ts(t, "2020-06-01T00:00:00Z"), StatusID: "990",
				FixVersionIDs: []string{"v1"},
				Transitions: []Transition{
					{At: ts(t, "2020-06-02T00:00:00Z"), From: statusOpen, To: "980"},
					{At: ts(t, "2020-06-03T00:00:00Z"), From: "980", To: "990"},
				},
			},
			wantQuality:  DataQuality{NotDone: 1, UnknownStatuses: 2},
			wantExcluded: []ExcludedIssue{{Key: "T-5", Reason: ReasonNotDone}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, evidence := compute(t, projectData(versions, tt.issue), Config{}, w)
			assert.Equal(t, tt.wantCount, report.LeadTimeForChanges.Count)
			assert.Equal(t, tt.wantQuality, report.DataQuality)
			assert.ElementsMatch(t, tt.wantExcluded, evidence.Excluded)
		})
	}
}

func TestStatusesMatchedByID(t *testing.T) {
	// Statuses 50 and 60 exist only in this test's status list. The engine finds their
	// categories by id, so the names an issue's history used for them do not matter.
	versions := []Version{released(t, "v1", "1.0", "2020-06-10")}
	issue := Issue{
		ID: "id-T-1", Key: "T-1", TypeID: typeStory, Created: ts(t, "2020-06-01T00:00:00Z"), StatusID: "60",
		FixVersionIDs: []string{"v1"},
		Transitions: []Transition{
			{At: ts(t, "2020-06-02T00:00:00Z"), From: statusOpen, To: "50"},
			{At: ts(t, "2020-06-04T00:00:00Z"), From: "50", To: "60"},
		},
	}
	data := projectData(versions, issue)
	data.Statuses["50"] = CategoryIndeterminate
	data.Statuses["60"] = CategoryDone

	report, evidence := compute(t, data, Config{}, window(t, "2020-06-01", "2020-07-01"))

	assert.Equal(t, 1, report.LeadTimeForChanges.Count)
	require.Len(t, evidence.Changes, 1)
	assert.True(t, evidence.Changes[0].StartedAt.Equal(ts(t, "2020-06-02T00:00:00Z")))
	assert.Equal(t, 0, report.DataQuality.UnknownStatuses)
}

func TestIssueHierarchyExclusions(t *testing.T) {
	versions := []Version{released(t, "v1", "1.0", "2020-06-10")}
	withType := func(key, typeID string) Issue {
		issue := change(t, key, "2020-06-01T00:00:00Z", "2020-06-02T00:00:00Z", "2020-06-05T00:00:00Z", "v1")
		issue.TypeID = typeID
		return issue
	}
	data := projectData(versions,
		withType("T-1", typeStory),
		withType("T-2", typeSubtask),
		withType("T-3", typeEpic),
		withType("T-4", typeInitiative),
		withType("T-5", "10020"), // hierarchy level -1 without the subtask flag
	)
	data.IssueTypes["10020"] = IssueType{ID: "10020", UntranslatedName: "Child", HierarchyLevel: -1}
	w := window(t, "2020-06-01", "2020-07-01")

	tests := []struct {
		name string
		cfg  Config
		want int
	}{
		{"sub-tasks and epics excluded by default", Config{}, 1},
		{"sub-tasks included when configured", Config{IncludeSubtasks: true}, 3},
		{"epics and above included when configured", Config{IncludeEpics: true}, 3},
		{"both included", Config{IncludeSubtasks: true, IncludeEpics: true}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, _ := compute(t, data, tt.cfg, w)
			assert.Equal(t, tt.want, report.LeadTimeForChanges.Count)
		})
	}
}

func TestIncidentTypes(t *testing.T) {
	versions := []Version{released(t, "v1", "1.0", "2020-06-10")}
	// The site shows issue type names in Chinese; untranslatedName stays English.
	types := map[string]IssueType{
		"20001": {ID: "20001", UntranslatedName: "Story"},
		"20004": {ID: "20004", UntranslatedName: "BUG"},
		"20005": {ID: "20005", UntranslatedName: "Problem"},
	}
	failure := func(key, typeID string) Issue {
		issue := incident(t, key, "2020-06-12T00:00:00Z", "2020-06-13T00:00:00Z", "v1")
		issue.TypeID = typeID
		return issue
	}
	w := window(t, "2020-06-01", "2020-07-01")

	tests := []struct {
		name       string
		issue      Issue
		cfg        Config
		jqlMatches map[string]bool
		wantFailed int
	}{
		{"untranslated name Bug matches case-insensitively", failure("T-1", "20004"), Config{}, nil, 1},
		{"story is no incident", failure("T-2", "20001"), Config{}, nil, 0},
		{"configured name matches", failure("T-3", "20005"), Config{IncidentTypes: []string{"problem"}}, nil, 1},
		{"configured id matches", failure("T-4", "20005"), Config{IncidentTypes: []string{"20005"}}, nil, 1},
		{"configured types replace the defaults", failure("T-5", "20004"), Config{IncidentTypes: []string{"Problem"}}, nil, 0},
		{"incident JQL match required", failure("T-6", "20004"), Config{IncidentJQL: "priority = High"}, map[string]bool{}, 0},
		{"incident JQL match counts", failure("T-7", "20004"), Config{IncidentJQL: "priority = High"}, map[string]bool{"id-T-7": true}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := projectData(versions, tt.issue)
			data.IssueTypes = types
			data.IncidentJQLMatches = tt.jqlMatches
			report, _ := compute(t, data, tt.cfg, w)
			assert.Equal(t, tt.wantFailed, report.ChangeFailureRate.FailedDeployments)
		})
	}

	t.Run("incident JQL without matches is an error", func(t *testing.T) {
		_, _, err := Compute(projectData(versions), Config{IncidentJQL: "priority = High"}, w, time.Now())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "incidentJql")
	})
}

func TestIncidentAttribution(t *testing.T) {
	versions := []Version{
		released(t, "v1", "1.0", "2020-06-10"),
		released(t, "v2", "2.0", "2020-06-20"),
		{ID: "v3", Name: "3.0"},
	}
	w := window(t, "2020-06-01", "2020-07-01")
	tests := []struct {
		name     string
		incident Issue
		cfg      Config
		want     map[string][]string // deployment id -> incident keys
	}{
		{"by Affects version", incident(t, "T-1", "2020-06-25T00:00:00Z", "", "v1"), Config{}, map[string][]string{"v1": {"T-1"}}},
		{"to every Affects version", incident(t, "T-2", "2020-06-25T00:00:00Z", "", "v1", "v2"), Config{}, map[string][]string{"v1": {"T-2"}, "v2": {"T-2"}}},
		{"without Affects version to the previous deployment", incident(t, "T-3", "2020-06-15T00:00:00Z", ""), Config{}, map[string][]string{"v1": {"T-3"}}},
		{"created at the deployment instant goes to that deployment", incident(t, "T-4", "2020-06-21T00:00:00Z", ""), Config{}, map[string][]string{"v2": {"T-4"}}},
		{"created before any deployment is not attributed", incident(t, "T-5", "2020-06-05T00:00:00Z", ""), Config{}, map[string][]string{}},
		{"only an unreleased Affects version is not attributed", incident(t, "T-6", "2020-06-25T00:00:00Z", "", "v3"), Config{}, map[string][]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, evidence := compute(t, projectData(versions, tt.incident), tt.cfg, w)
			got := map[string][]string{}
			for _, d := range evidence.Deployments {
				if len(d.IncidentKeys) > 0 {
					got[d.ID] = d.IncidentKeys
				}
				assert.Equal(t, len(d.IncidentKeys) > 0, d.Failed, "deployment %s", d.ID)
			}
			assert.Equal(t, tt.want, got)
		})
	}

	t.Run("status deployments attribute by previous deployment", func(t *testing.T) {
		deployedAt := func(key, at string) Issue {
			issue := change(t, key, "2020-06-01T00:00:00Z", "2020-06-02T00:00:00Z", at)
			issue.Transitions[1].To = statusClosed
			return issue
		}
		data := projectData(nil,
			deployedAt("T-10", "2020-06-10T12:00:00Z"),
			deployedAt("T-11", "2020-06-20T12:00:00Z"),
			incident(t, "T-12", "2020-06-15T00:00:00Z", "", "v1"),
		)
		_, evidence := compute(t, data, Config{DeploymentSource: SourceStatus, DeployedStatuses: []string{statusClosed}}, w)
		require.Len(t, evidence.Deployments, 2)
		assert.Equal(t, []string{"T-12"}, evidence.Deployments[0].IncidentKeys)
		assert.Empty(t, evidence.Deployments[1].IncidentKeys)
	})
}

func TestChangeFailureRateAtMostOne(t *testing.T) {
	versions := []Version{released(t, "v1", "1.0", "2020-06-10")}
	data := projectData(versions,
		incident(t, "T-1", "2020-06-12T00:00:00Z", "", "v1"),
		incident(t, "T-2", "2020-06-13T00:00:00Z", "", "v1"),
		incident(t, "T-3", "2020-06-14T00:00:00Z", ""),
	)
	report, _ := compute(t, data, Config{}, window(t, "2020-06-01", "2020-07-01"))
	cfr := report.ChangeFailureRate
	assert.Equal(t, 1, cfr.Deployments)
	assert.Equal(t, 1, cfr.FailedDeployments)
	require.NotNil(t, cfr.Rate)
	assert.InDelta(t, 1.0, *cfr.Rate, 0)
	assert.Equal(t, LevelLow, cfr.Level)
}

func TestNullWithoutData(t *testing.T) {
	w := window(t, "2020-06-01", "2020-07-01")

	t.Run("project without deployments", func(t *testing.T) {
		report, _ := compute(t, projectData(nil), Config{}, w)
		assert.Nil(t, report.DeploymentFrequency.PerWeek)
		assert.Equal(t, Level(""), report.DeploymentFrequency.Level)
		assert.Nil(t, report.LeadTimeForChanges.MedianHours)
		assert.Nil(t, report.ChangeFailureRate.Rate)
		assert.Nil(t, report.FailedDeploymentRecoveryTime.MedianHours)
		assert.Nil(t, report.FailedDeploymentRecoveryTime.OldestOpenAgeHours)
		assert.Nil(t, report.ReworkRate.Rate)
		assert.Nil(t, report.ReopenRate)
		assert.Nil(t, report.Throughput)

		encoded, err := json.Marshal(report)
		require.NoError(t, err)
		decoded := map[string]map[string]any{}
		var parts map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(encoded, &parts))
		for _, name := range []string{"deploymentFrequency", "changeFailureRate", "leadTimeForChanges"} {
			var part map[string]any
			require.NoError(t, json.Unmarshal(parts[name], &part))
			decoded[name] = part
		}
		assert.Nil(t, decoded["deploymentFrequency"]["level"])
		assert.Contains(t, decoded["deploymentFrequency"], "level")
		assert.Nil(t, decoded["changeFailureRate"]["rate"])
		assert.Contains(t, decoded["changeFailureRate"], "rate")
		assert.Nil(t, decoded["leadTimeForChanges"]["medianHours"])
		assert.Contains(t, decoded["leadTimeForChanges"], "medianHours")
	})
	t.Run("window without deployments of a deploying project", func(t *testing.T) {
		data := projectData([]Version{released(t, "v1", "1.0", "2020-01-10")}, change(t, "T-1", "2020-06-01T00:00:00Z", "", ""))
		report, _ := compute(t, data, Config{}, w)
		assert.Equal(t, 0, report.DeploymentFrequency.Count)
		require.NotNil(t, report.DeploymentFrequency.PerWeek)
		assert.InDelta(t, 0.0, *report.DeploymentFrequency.PerWeek, 0)
		assert.Equal(t, LevelLow, report.DeploymentFrequency.Level)
		assert.Nil(t, report.ChangeFailureRate.Rate)
		assert.Equal(t, Level(""), report.ChangeFailureRate.Level)
		require.NotNil(t, report.Throughput)
		assert.InDelta(t, 0.0, *report.Throughput, 0)
	})
	t.Run("empty weeks have null medians and rates", func(t *testing.T) {
		report, _ := compute(t, projectData([]Version{released(t, "v1", "1.0", "2020-06-10")}), Config{}, w)
		for _, week := range report.LeadTimeForChanges.Series {
			assert.Nil(t, week.MedianHours, week.WeekStart)
		}
		for _, week := range report.ChangeFailureRate.Series {
			if week.Deployments == 0 {
				assert.Nil(t, week.Rate, week.WeekStart)
			} else {
				require.NotNil(t, week.Rate, week.WeekStart)
				assert.InDelta(t, 0.0, *week.Rate, 0)
			}
		}
	})
}

func TestRework(t *testing.T) {
	versions := []Version{
		released(t, "v1", "1.0", "2020-06-10"),
		released(t, "v2", "1.0.1-hotfix", "2020-06-12"),
		released(t, "v3", "1.1", "2020-06-20"),
	}
	w := window(t, "2020-06-01", "2020-07-01")
	withFix := func(issue Issue, fix ...string) Issue {
		issue.FixVersionIDs = fix
		return issue
	}
	tests := []struct {
		name string
		cfg  Config
		data []Issue
		want map[string]bool
	}{
		{
			name: "incident created between deployments and fixed in the next",
			data: []Issue{withFix(incident(t, "T-1", "2020-06-11T08:00:00Z", "2020-06-11T20:00:00Z"), "v2")},
			want: map[string]bool{"v2": true},
		},
		{
			name: "incident created before the previous deployment is no rework",
			data: []Issue{withFix(incident(t, "T-2", "2020-06-09T08:00:00Z", "2020-06-19T20:00:00Z"), "v3")},
			want: map[string]bool{},
		},
		{
			name: "first deployment is no rework by time",
			data: []Issue{withFix(incident(t, "T-3", "2020-06-01T08:00:00Z", "2020-06-05T20:00:00Z"), "v1")},
			want: map[string]bool{},
		},
		{
			name: "version name pattern marks rework",
			cfg:  Config{ReworkVersionPattern: `(?i)hotfix`},
			want: map[string]bool{"v2": true},
		},
		{
			name: "pattern applies to the first deployment too",
			cfg:  Config{ReworkVersionPattern: `^1\.0$`},
			want: map[string]bool{"v1": true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, evidence := compute(t, projectData(versions, tt.data...), tt.cfg, w)
			got := map[string]bool{}
			for _, d := range evidence.Deployments {
				if d.Rework {
					got[d.ID] = true
				}
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, len(tt.want), report.ReworkRate.ReworkDeployments)
			assert.Equal(t, 3, report.ReworkRate.Deployments)
		})
	}
}

func TestOpenIncidents(t *testing.T) {
	w := window(t, "2020-06-01", "2020-07-01")
	data := projectData([]Version{released(t, "v1", "1.0", "2020-05-10")},
		incident(t, "T-1", "2020-05-20T00:00:00Z", ""),                     // open: oldest
		incident(t, "T-2", "2020-06-20T00:00:00Z", "2020-07-05T00:00:00Z"), // done after the window: open then
		incident(t, "T-3", "2020-06-10T00:00:00Z", "2020-06-12T00:00:00Z"), // recovered inside the window
		incident(t, "T-4", "2020-07-02T00:00:00Z", ""),                     // created after the window
		incident(t, "T-5", "2020-05-01T00:00:00Z", "2020-05-03T00:00:00Z"), // recovered before the window
	)

	t.Run("counts incidents not done by the window end", func(t *testing.T) {
		report, evidence := compute(t, data, Config{}, w)
		r := report.FailedDeploymentRecoveryTime
		assert.Equal(t, 2, r.OpenIncidents)
		require.NotNil(t, r.OldestOpenAgeHours)
		assert.InDelta(t, 42*24.0, *r.OldestOpenAgeHours, 1e-9)
		var keys []string
		for _, open := range evidence.OpenIncidents {
			keys = append(keys, open.Key)
		}
		assert.ElementsMatch(t, []string{"T-1", "T-2"}, keys)
		assert.Equal(t, 1, r.Count)
		require.NotNil(t, r.MedianHours)
		assert.InDelta(t, 48.0, *r.MedianHours, 1e-9)
		assert.Equal(t, LevelMedium, r.Level)
	})
	t.Run("age is measured at now when the window ends later", func(t *testing.T) {
		report, _, err := Compute(data, Config{}, w, ts(t, "2020-06-21T00:00:00Z"))
		require.NoError(t, err)
		require.NotNil(t, report.FailedDeploymentRecoveryTime.OldestOpenAgeHours)
		assert.InDelta(t, 32*24.0, *report.FailedDeploymentRecoveryTime.OldestOpenAgeHours, 1e-9)
	})
}

func TestRecoveryStartDeployment(t *testing.T) {
	versions := []Version{released(t, "v1", "1.0", "2020-06-09"), released(t, "v2", "1.1", "2020-06-14")}
	data := projectData(versions, incident(t, "T-1", "2020-06-12T00:00:00Z", "2020-06-13T00:00:00Z", "v1", "v2"))
	w := window(t, "2020-06-01", "2020-07-01")

	report, evidence := compute(t, data, Config{RecoveryStart: StartDeployment}, w)

	require.NotNil(t, report.FailedDeploymentRecoveryTime.MedianHours)
	assert.InDelta(t, 72.0, *report.FailedDeploymentRecoveryTime.MedianHours, 1e-9, "from the end of 2020-06-09, the latest attributed release before creation")
	require.Len(t, evidence.Recoveries, 1)
	assert.Equal(t, "v1", evidence.Recoveries[0].DeploymentID)
}

func TestLeadTimeStartCreated(t *testing.T) {
	versions := []Version{released(t, "v1", "1.0", "2020-06-10")}
	data := projectData(versions, change(t, "T-1", "2020-06-01T00:00:00Z", "2020-06-05T00:00:00Z", "2020-06-06T00:00:00Z", "v1"))
	report, _ := compute(t, data, Config{LeadTimeStart: StartCreated}, window(t, "2020-06-01", "2020-07-01"))
	require.NotNil(t, report.LeadTimeForChanges.MedianHours)
	assert.InDelta(t, 10*24.0, *report.LeadTimeForChanges.MedianHours, 1e-9)
	assert.Equal(t, 0, report.DataQuality.StartedAtCreated)
}

func TestDeploymentSourceStatus(t *testing.T) {
	deployed := func(key, done string, transitions ...Transition) Issue {
		issue := change(t, key, "2020-06-01T00:00:00Z", "2020-06-02T00:00:00Z", done)
		issue.Transitions = append(issue.Transitions, transitions...)
		return issue
	}
	data := projectData([]Version{released(t, "v1", "1.0", "2020-06-10")},
		deployed("T-1", "2020-06-03T00:00:00Z",
			Transition{At: ts(t, "2020-06-04T00:00:00Z"), From: statusDone, To: statusClosed},
			Transition{At: ts(t, "2020-06-05T00:00:00Z"), From: statusClosed, To: statusInProgress},
			Transition{At: ts(t, "2020-06-06T00:00:00Z"), From: statusInProgress, To: statusClosed}),
		deployed("T-2", "2020-06-03T00:00:00Z"),
	)
	report, evidence := compute(t, data, Config{DeploymentSource: SourceStatus, DeployedStatuses: []string{statusClosed}}, window(t, "2020-06-01", "2020-07-01"))

	assert.Equal(t, 1, report.DeploymentFrequency.Count, "only the first entry into a deployed status counts, and versions are ignored")
	require.Len(t, evidence.Deployments, 1)
	assert.Equal(t, "T-1", evidence.Deployments[0].Name)
	require.NotNil(t, report.LeadTimeForChanges.MedianHours)
	assert.InDelta(t, 48.0, *report.LeadTimeForChanges.MedianHours, 1e-9)
}

func TestReopenRateAndThroughput(t *testing.T) {
	reopened := change(t, "T-1", "2020-06-01T00:00:00Z", "2020-06-02T00:00:00Z", "2020-06-10T00:00:00Z")
	reopened.Transitions = []Transition{
		{At: ts(t, "2020-06-02T00:00:00Z"), From: statusOpen, To: statusInProgress},
		{At: ts(t, "2020-06-03T00:00:00Z"), From: statusInProgress, To: statusDone},
		{At: ts(t, "2020-06-04T00:00:00Z"), From: statusDone, To: statusOpen},
		{At: ts(t, "2020-06-10T00:00:00Z"), From: statusOpen, To: statusDone},
	}
	movedBetweenDone := change(t, "T-2", "2020-06-01T00:00:00Z", "2020-06-02T00:00:00Z", "2020-06-05T00:00:00Z")
	movedBetweenDone.Transitions = append(movedBetweenDone.Transitions, Transition{At: ts(t, "2020-06-06T00:00:00Z"), From: statusDone, To: statusClosed})
	data := projectData(nil,
		reopened,
		movedBetweenDone,
		change(t, "T-3", "2020-06-01T00:00:00Z", "2020-06-02T00:00:00Z", "2020-06-20T00:00:00Z"),
		change(t, "T-4", "2020-06-01T00:00:00Z", "2020-06-02T00:00:00Z", "2020-07-20T00:00:00Z"), // done after the window
		change(t, "T-5", "2020-06-01T00:00:00Z", "2020-06-02T00:00:00Z", ""),                     // not done
	)
	report, _ := compute(t, data, Config{}, window(t, "2020-06-01", "2020-06-29"))

	require.NotNil(t, report.ReopenRate)
	assert.InDelta(t, 1.0/3, *report.ReopenRate, 1e-12)
	require.NotNil(t, report.Throughput)
	assert.InDelta(t, 3.0/4, *report.Throughput, 1e-12)
}

func TestDeploymentFrequencyLevel(t *testing.T) {
	// A window of four whole ISO weeks, 2020-06-01 (a Monday) to 2020-06-29.
	w := window(t, "2020-06-01", "2020-06-29")
	releases := func(dates ...string) []Version {
		var versions []Version
		for k, d := range dates {
			versions = append(versions, released(t, "v"+d, "r"+string(rune('a'+k)), d))
		}
		return versions
	}
	tests := []struct {
		name  string
		dates []string
		want  Level
	}{
		{"elite at five deployment days in the median week", []string{
			"2020-06-01", "2020-06-02", "2020-06-03", "2020-06-04", "2020-06-05",
			"2020-06-08", "2020-06-09", "2020-06-10", "2020-06-11", "2020-06-12",
			"2020-06-15", "2020-06-16", "2020-06-17", "2020-06-18", "2020-06-19",
			"2020-06-22"}, LevelElite},
		{"high when the median week has fewer than five", []string{
			"2020-06-01", "2020-06-02", "2020-06-03", "2020-06-04", "2020-06-05",
			"2020-06-08", "2020-06-09", "2020-06-10", "2020-06-11", "2020-06-12",
			"2020-06-15", "2020-06-22"}, LevelHigh},
		{"high at one deployment day every week", []string{"2020-06-01", "2020-06-08", "2020-06-15", "2020-06-22"}, LevelHigh},
		{"same day twice counts one day", []string{"2020-06-01", "2020-06-01", "2020-06-08"}, LevelMedium},
		{"medium at one deployment day per 30 days", []string{"2020-06-03"}, LevelMedium},
		{"low when none in the window", []string{"2020-05-03"}, LevelLow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, _ := compute(t, projectData(releases(tt.dates...)), Config{}, w)
			assert.Equal(t, tt.want, report.DeploymentFrequency.Level)
		})
	}

	t.Run("short window without a whole week uses days per week", func(t *testing.T) {
		report, _ := compute(t, projectData(releases("2020-06-03")), Config{}, window(t, "2020-06-03", "2020-06-06"))
		assert.Equal(t, LevelHigh, report.DeploymentFrequency.Level)
		assert.Equal(t, 1, report.DeploymentFrequency.DeploymentDays)
		require.NotNil(t, report.DeploymentFrequency.PerWeek)
		assert.InDelta(t, 7.0/3, *report.DeploymentFrequency.PerWeek, 1e-12)
	})
}

func TestLevelThresholds(t *testing.T) {
	t.Run("lead time", func(t *testing.T) {
		assert.Equal(t, LevelElite, leadTimeLevel(23.99))
		assert.Equal(t, LevelHigh, leadTimeLevel(24))
		assert.Equal(t, LevelMedium, leadTimeLevel(7*24))
		assert.Equal(t, LevelLow, leadTimeLevel(30*24))
	})
	t.Run("change failure rate", func(t *testing.T) {
		assert.Equal(t, LevelElite, changeFailureRateLevel(0.05))
		assert.Equal(t, LevelHigh, changeFailureRateLevel(0.10))
		assert.Equal(t, LevelMedium, changeFailureRateLevel(0.15))
		assert.Equal(t, LevelLow, changeFailureRateLevel(0.1501))
	})
	t.Run("recovery time", func(t *testing.T) {
		assert.Equal(t, LevelElite, recoveryTimeLevel(0.99))
		assert.Equal(t, LevelHigh, recoveryTimeLevel(1))
		assert.Equal(t, LevelMedium, recoveryTimeLevel(24))
		assert.Equal(t, LevelLow, recoveryTimeLevel(7*24))
	})
}

func TestPercentileType7(t *testing.T) {
	values := []float64{1, 2, 3, 4, 10}
	assert.InDelta(t, 3.0, percentile(values, 0.5), 1e-12)
	assert.InDelta(t, 4.0, percentile(values, 0.75), 1e-12)
	assert.InDelta(t, 7.6, percentile(values, 0.9), 1e-12)
	assert.InDelta(t, 2.5, percentile([]float64{1, 2, 3, 4}, 0.5), 1e-12)
	assert.InDelta(t, 5.0, percentile([]float64{5}, 0.9), 0)
}
