package store

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// refreshable stores sampleUpdate with an incident JQL, its matches, the names of statuses and
// issue types and a report with an open incident, and returns the update of an unchanged sync.
func refreshable(t *testing.T, s *Store) ProjectUpdate {
	t.Helper()
	u := sampleUpdate(t)
	u.IncidentJQLMatches = map[string]bool{"10100": true, "9999": false}
	u.Sync.IncidentJQL = "priority = High"
	u.Sync.ReportsVersion = 3
	u.Settings = dora.Config{IncidentJQL: "priority = High"}
	u.Metadata = &ProjectMetadata{Statuses: []StatusInfo{{ID: "1", Name: "To Do", Category: dora.CategoryNew}}, IssueTypes: []IssueTypeInfo{}}
	opened := mustTime(t, "2026-02-24T00:00:00.000+0000")
	week := u.Reports[7]
	week.Report.Window = dora.WindowJSON{From: "2026-02-23", To: "2026-03-02", TimeZone: "Europe/Berlin"}
	week.Report.ComputedAt = mustTime(t, "2026-03-01T12:00:00.000+0000")
	week.Report.FailedDeploymentRecoveryTime.OpenIncidents = 1
	week.Report.FailedDeploymentRecoveryTime.OldestOpenStart = &opened
	hours := 5*24 + 12.0
	week.Report.FailedDeploymentRecoveryTime.OldestOpenAgeHours = &hours
	week.Evidence.OpenIncidents = []dora.IncidentEvidence{{Key: "OPS-1", Start: opened, Hours: hours}}
	u.Reports[7] = week
	require.NoError(t, s.PutSettings("dev", u.Project.ID, u.Settings))
	require.NoError(t, s.ReplaceProject("dev", u))

	u.FullIssues, u.Upserts, u.Reports = false, nil, nil
	u.Sync.Cursor = u.Sync.Cursor.Add(time.Hour)
	u.Sync.ReportsAt = u.Sync.Cursor
	return u
}

// snapshotProject returns every key and value of a project's bucket and its sub-buckets.
func snapshotProject(t *testing.T, s *Store, projectID string) map[string]string {
	t.Helper()
	all := make(map[string]string)
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		p := projectBucket(tx, "dev", projectID)
		require.NotNil(t, p)
		var walk func(prefix string, b *bolt.Bucket) error
		walk = func(prefix string, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					return walk(prefix+string(k)+"/", b.Bucket(k))
				}
				all[prefix+string(k)] = string(v)
				return nil
			})
		}
		return walk("", p)
	}))
	return all
}

func TestRefreshReportsMovesReports(t *testing.T) {
	s := openTemp(t)
	u := refreshable(t, s)
	before := snapshotProject(t, s, u.Project.ID)
	issuesBefore, err := s.ProjectData("dev", u.Project.ID)
	require.NoError(t, err)
	at := u.Sync.Cursor

	var seen []string
	refreshed, err := s.RefreshReports("dev", u, 2, func(r dora.Report) (dora.Report, error) {
		seen = append(seen, r.Window.From)
		return r.AgedTo(at)
	})
	require.NoError(t, err)
	require.True(t, refreshed)
	assert.ElementsMatch(t, []string{"2026-02-23", "2025-12-01"}, seen, "every stored report")

	week, err := s.Report("dev", u.Project.ID, 7)
	require.NoError(t, err)
	assert.True(t, at.Equal(week.Report.ComputedAt))
	assert.InDelta(t, 5*24+13.0, *week.Report.FailedDeploymentRecoveryTime.OldestOpenAgeHours, 1e-9, "an hour older")
	require.Len(t, week.Evidence.OpenIncidents, 1)
	assert.InDelta(t, 5*24+13.0, week.Evidence.OpenIncidents[0].Hours, 1e-9, "the evidence is aged when read")

	after := snapshotProject(t, s, u.Project.ID)
	for key, value := range before {
		switch key {
		case "reports/0007", "reports/0090", "sync", "reportsgen":
			assert.NotEqual(t, value, after[key], key)
		default:
			assert.Equal(t, value, after[key], "%s is kept", key)
		}
	}
	assert.Len(t, after, len(before))
	var evidenceBefore, evidenceAfter StoredReport
	require.NoError(t, decodeStored(before["reports/0007"], &evidenceBefore))
	require.NoError(t, decodeStored(after["reports/0007"], &evidenceAfter))
	assert.Equal(t, evidenceBefore.Evidence, evidenceAfter.Evidence, "the stored evidence is copied as it was")
	state, err := s.Sync("dev", u.Project.ID)
	require.NoError(t, err)
	assert.Equal(t, u.Sync, state)
	issuesAfter, err := s.ProjectData("dev", u.Project.ID)
	require.NoError(t, err)
	assert.Equal(t, issuesBefore.Issues, issuesAfter.Issues)
}

func decodeStored(v string, r *StoredReport) error {
	return json.Unmarshal([]byte(v), r)
}

func TestRefreshReportsRefusesChangedInputs(t *testing.T) {
	cases := map[string]func(t *testing.T, s *Store, u *ProjectUpdate){
		"project renamed": func(_ *testing.T, _ *Store, u *ProjectUpdate) { u.Project.Name = "Ops" },
		"status category changed": func(_ *testing.T, _ *Store, u *ProjectUpdate) {
			u.Statuses = map[string]dora.StatusCategory{"1": dora.CategoryDone}
		},
		"issue type changed": func(_ *testing.T, _ *Store, u *ProjectUpdate) { u.IssueTypes = map[string]dora.IssueType{} },
		"version released": func(_ *testing.T, _ *Store, u *ProjectUpdate) {
			u.Versions = []dora.Version{u.Versions[0], {ID: "20002", Name: "1.1", Released: true}}
		},
		"status renamed": func(_ *testing.T, _ *Store, u *ProjectUpdate) {
			u.Metadata = &ProjectMetadata{Statuses: []StatusInfo{{ID: "1", Name: "Open"}}}
		},
		"names no longer read":     func(_ *testing.T, _ *Store, u *ProjectUpdate) { u.Metadata = nil },
		"incident matches changed": func(_ *testing.T, _ *Store, u *ProjectUpdate) { u.IncidentJQLMatches = map[string]bool{"9999": true} },
		"incident matches dropped": func(_ *testing.T, _ *Store, u *ProjectUpdate) { u.IncidentJQLMatches = nil },
		"incident JQL changed":     func(_ *testing.T, _ *Store, u *ProjectUpdate) { u.Sync.IncidentJQL = "priority = Low" },
		"site time zone changed":   func(_ *testing.T, _ *Store, u *ProjectUpdate) { u.Sync.SiteTimeZone = "Asia/Tokyo" },
		"another reports version":  func(_ *testing.T, _ *Store, u *ProjectUpdate) { u.Sync.ReportsVersion = 4 },
		"settings changed since read": func(t *testing.T, s *Store, u *ProjectUpdate) {
			require.NoError(t, s.PutSettings("dev", u.Project.ID, dora.Config{IncidentJQL: "priority = High", TimeZone: "UTC"}))
		},
		"reports marked stale": func(t *testing.T, s *Store, u *ProjectUpdate) {
			require.NoError(t, s.PutSettings("dev", u.Project.ID, dora.Config{IncidentJQL: "priority = High", TimeZone: "UTC"}))
			require.NoError(t, s.PutSettings("dev", u.Project.ID, u.Settings))
			state, err := s.Sync("dev", u.Project.ID)
			require.NoError(t, err)
			require.True(t, state.Stale)
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			s := openTemp(t)
			u := refreshable(t, s)
			change(t, s, &u)
			before := snapshotProject(t, s, u.Project.ID)
			refreshed, err := s.RefreshReports("dev", u, 2, func(r dora.Report) (dora.Report, error) {
				t.Error("a report was aged although an input changed")
				return r, nil
			})
			require.NoError(t, err)
			assert.False(t, refreshed)
			assert.Equal(t, before, snapshotProject(t, s, u.Project.ID), "nothing is written")
		})
	}
}

func TestRefreshReportsRejectsBadUse(t *testing.T) {
	s := openTemp(t)
	u := refreshable(t, s)
	age := func(r dora.Report) (dora.Report, error) { return r, nil }

	withIssue := u
	withIssue.Upserts = sampleUpdate(t).Upserts[:1]
	_, err := s.RefreshReports("dev", withIssue, 2, age)
	require.ErrorContains(t, err, "computed again")
	withDelete := u
	withDelete.Deletes = []string{"9999"}
	_, err = s.RefreshReports("dev", withDelete, 2, age)
	require.ErrorContains(t, err, "computed again")

	other := u
	other.Project.ID = "10002"
	_, err = s.RefreshReports("dev", other, 2, age)
	require.ErrorIs(t, err, ErrNotFound)

	before := snapshotProject(t, s, u.Project.ID)
	failure := errors.New("window moved")
	calls := 0
	_, err = s.RefreshReports("dev", u, 2, func(r dora.Report) (dora.Report, error) {
		calls++
		if calls == 2 {
			return r, failure
		}
		return r.AgedTo(u.Sync.Cursor)
	})
	require.ErrorIs(t, err, failure)
	assert.Equal(t, before, snapshotProject(t, s, u.Project.ID), "an age error writes nothing")
}

func TestIssueCount(t *testing.T) {
	s := openTemp(t)
	_, err := s.IssueCount("dev", "10001")
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, s.ReplaceProject("dev", sampleUpdate(t)))
	n, err := s.IssueCount("dev", "10001")
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	_, err = s.IssueCount("", "10001")
	require.ErrorIs(t, err, ErrInvalidID)
}

func TestReportJSONSince(t *testing.T) {
	s := openTemp(t)
	u := refreshable(t, s)

	first, gen, err := s.ReportJSONSince("dev", u.Project.ID, 7, 0)
	require.NoError(t, err)
	require.NotEmpty(t, first)
	require.NotZero(t, gen)
	again, same, err := s.ReportJSONSince("dev", u.Project.ID, 7, gen)
	require.NoError(t, err)
	assert.Nil(t, again, "the caller has this generation")
	assert.Equal(t, gen, same)

	seen := map[uint64]bool{gen: true}
	next := func(t *testing.T, what string) {
		t.Helper()
		data, g, err := s.ReportJSONSince("dev", u.Project.ID, 7, gen)
		require.NoError(t, err)
		assert.NotNil(t, data, "%s: the report is read again", what)
		assert.False(t, seen[g], "%s: a new generation", what)
		seen[g], gen = true, g
	}
	refreshed, err := s.RefreshReports("dev", u, 2, func(r dora.Report) (dora.Report, error) { return r.AgedTo(u.Sync.Cursor) })
	require.NoError(t, err)
	require.True(t, refreshed)
	next(t, "RefreshReports")
	require.NoError(t, s.ReplaceReports("dev", u.Project.ID, u.Settings, sampleUpdate(t).Reports, u.Sync.Cursor))
	next(t, "ReplaceReports")
	require.NoError(t, s.DeleteProject("dev", u.Project.ID))
	_, _, err = s.ReportJSONSince("dev", u.Project.ID, 7, gen)
	require.ErrorIs(t, err, ErrNotFound, "a deleted project")
	require.NoError(t, s.ReplaceProject("dev", sampleUpdate(t)))
	next(t, "ReplaceProject after a delete")
	_, _, err = s.ReportJSONSince("dev", u.Project.ID, 30, 0)
	require.ErrorIs(t, err, ErrNotFound, "a window without a report")
}

func TestRefreshReportsNeedsEveryWindow(t *testing.T) {
	s := openTemp(t)
	u := refreshable(t, s)
	before := snapshotProject(t, s, u.Project.ID)

	refreshed, err := s.RefreshReports("dev", u, 3, func(r dora.Report) (dora.Report, error) {
		t.Error("a report was aged although a window is missing")
		return r, nil
	})

	require.NoError(t, err)
	assert.False(t, refreshed, "two stored reports where three are expected")
	assert.Equal(t, before, snapshotProject(t, s, u.Project.ID), "nothing is written")
}
