package store

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// openTemp opens a store in a new temporary folder and checks the file's consistency at cleanup.
func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "metrics.db"), Options{Logger: quietLogger})
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, s.Check())
		assert.NoError(t, s.Close())
	})
	return s
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02T15:04:05.000-0700", s)
	require.NoError(t, err)
	return v
}

func sampleUpdate(t testing.TB) ProjectUpdate {
	return ProjectUpdate{
		Project:    dora.Project{ID: "10001", Key: "OPS", Name: "Operations"},
		Statuses:   map[string]dora.StatusCategory{"1": dora.CategoryNew, "3": dora.CategoryIndeterminate, "10001": dora.CategoryDone},
		IssueTypes: map[string]dora.IssueType{"10004": {ID: "10004", UntranslatedName: "Bug"}, "10005": {ID: "10005", UntranslatedName: "Sub-task", Subtask: true, HierarchyLevel: -1}},
		Versions: []dora.Version{
			{ID: "20001", Name: "1.0", Released: true, ReleaseDate: dora.Date{Year: 2026, Month: time.March, Day: 2}},
			{ID: "20002", Name: "1.1"},
		},
		FullIssues: true,
		Upserts: []dora.Issue{
			{
				ID: "10100", Key: "OPS-1", TypeID: "10004", StatusID: "10001",
				Created:           mustTime(t, "2026-02-20T08:13:13.360+0800"),
				Resolved:          mustTime(t, "2026-02-21T10:00:00.000+0000"),
				FixVersionIDs:     []string{"20001"},
				AffectsVersionIDs: []string{"20002"},
				Transitions: []dora.Transition{
					{At: mustTime(t, "2026-02-20T09:00:00.000+0800"), From: "1", To: "3"},
					{At: mustTime(t, "2026-02-21T10:00:00.000-0530"), From: "3", To: "10001"},
				},
			},
			{ID: "9999", Key: "OPS-2", TypeID: "10005", StatusID: "1", Created: mustTime(t, "2026-02-22T00:00:00.000+0100")},
		},
		Sync: SyncState{Cursor: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), SiteTimeZone: "Europe/Berlin"},
		Reports: map[int]StoredReport{
			7:  {Report: dora.Report{Project: dora.Project{ID: "10001", Key: "OPS"}, Window: dora.WindowJSON{From: "2026-02-22", To: "2026-03-01", TimeZone: "Europe/Berlin"}}},
			90: {Report: dora.Report{Window: dora.WindowJSON{From: "2025-12-01"}}, Evidence: dora.Evidence{Excluded: []dora.ExcludedIssue{{Key: "OPS-2", Reason: "notDone"}}}},
		},
	}
}

func TestOpenMigratesNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.db")
	s, err := Open(path, Options{Logger: quietLogger})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, SchemaVersion, readSchema(tx))
		assert.NotNil(t, tx.Bucket(bucketTenants), "tenants bucket")
		return nil
	}))
}

func TestOpenKeepsDataAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.db")
	s, err := Open(path, Options{Logger: quietLogger})
	require.NoError(t, err)
	require.NoError(t, s.ReplaceProject("dev", sampleUpdate(t)))
	require.NoError(t, s.Close())

	s, err = Open(path, Options{Logger: quietLogger})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	r, err := s.Report("dev", "10001", 7)
	require.NoError(t, err)
	assert.Equal(t, "2026-02-22", r.Report.Window.From)
}

func TestOpenRejectsNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.db")
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error { return writeSchema(tx, SchemaVersion+1) }))
	require.NoError(t, db.Close())

	_, err = Open(path, Options{Logger: quietLogger})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrSchemaTooNew)
	assert.Contains(t, err.Error(), "schema 2")
}

func TestOpenFailsWhileLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.db")
	s, err := Open(path, Options{Logger: quietLogger})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	_, err = Open(path, Options{Logger: quietLogger, LockTimeout: 50 * time.Millisecond})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrLocked)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "locked by another process")
}

func TestSettingsRoundTripAndStale(t *testing.T) {
	s := openTemp(t)
	_, found, err := s.Settings("dev", "10001")
	require.NoError(t, err)
	assert.False(t, found, "settings before any were stored")

	require.NoError(t, s.ReplaceProject("dev", sampleUpdate(t)))
	st, err := s.Sync("dev", "10001")
	require.NoError(t, err)
	assert.False(t, st.Stale, "stale after a sync")

	cfg := dora.Config{TimeZone: "Asia/Tokyo", DeploymentSource: dora.SourceStatus, DeployedStatuses: []string{"10001"}, IncidentJQL: "priority = High"}
	require.NoError(t, s.PutSettings("dev", "10001", cfg))

	got, found, err := s.Settings("dev", "10001")
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, cfg, got)

	st, err = s.Sync("dev", "10001")
	require.NoError(t, err)
	assert.True(t, st.Stale, "stale after a settings change")
	assert.Equal(t, "Europe/Berlin", st.SiteTimeZone, "sync state kept by a settings change")

	_, err = s.Report("dev", "10001", 7)
	assert.NoError(t, err, "reports stay readable after a settings change")
}

func TestReplaceProjectKeepsSettings(t *testing.T) {
	s := openTemp(t)
	cfg := dora.Config{LeadTimeStart: dora.StartCreated}
	require.NoError(t, s.PutSettings("dev", "10001", cfg))
	require.NoError(t, s.ReplaceProject("dev", sampleUpdate(t)))

	got, found, err := s.Settings("dev", "10001")
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, cfg, got)
}

func TestProjectDataRoundTrip(t *testing.T) {
	s := openTemp(t)
	u := sampleUpdate(t)
	u.IncidentJQLMatches = map[string]bool{"10100": true, "9999": false}
	require.NoError(t, s.ReplaceProject("dev", u))

	data, err := s.ProjectData("dev", "10001")
	require.NoError(t, err)
	assert.Equal(t, u.Project, data.Project)
	assert.Equal(t, "Europe/Berlin", data.SiteTimeZone)
	assert.Equal(t, u.Statuses, data.Statuses)
	assert.Equal(t, u.IssueTypes, data.IssueTypes)
	assert.Equal(t, u.Versions, data.Versions)
	assert.Equal(t, map[string]bool{"10100": true}, data.IncidentJQLMatches)

	require.Len(t, data.Issues, 2)
	assert.Equal(t, "9999", data.Issues[0].ID, "issues ordered by numeric id")
	want := u.Upserts[0]
	got := data.Issues[1]
	assert.Equal(t, want.Key, got.Key)
	assert.Equal(t, want.FixVersionIDs, got.FixVersionIDs)
	assert.Equal(t, want.AffectsVersionIDs, got.AffectsVersionIDs)
	assert.True(t, want.Created.Equal(got.Created), "created instant")
	assert.Equal(t, "2026-02-20T08:13:13.36+08:00", got.Created.Format(time.RFC3339Nano), "created keeps its offset")
	require.Len(t, got.Transitions, 2)
	assert.Equal(t, "2026-02-21T10:00:00-05:30", got.Transitions[1].At.Format(time.RFC3339Nano), "transition keeps its offset")
	assert.True(t, data.Issues[0].Resolved.IsZero(), "unresolved issue")
}

func TestReplaceProjectIncremental(t *testing.T) {
	s := openTemp(t)
	require.NoError(t, s.ReplaceProject("dev", sampleUpdate(t)))

	u := sampleUpdate(t)
	u.FullIssues = false
	u.Upserts = []dora.Issue{
		{ID: "10100", Key: "OPS-1", TypeID: "10004", StatusID: "3"},
		{ID: "10200", Key: "OPS-3", TypeID: "10004", StatusID: "1"},
	}
	u.Deletes = []string{"9999", "55555"}
	u.Reports = map[int]StoredReport{30: {Report: dora.Report{Window: dora.WindowJSON{From: "2026-01-30"}}}}
	require.NoError(t, s.ReplaceProject("dev", u))

	data, err := s.ProjectData("dev", "10001")
	require.NoError(t, err)
	require.Len(t, data.Issues, 2)
	assert.Equal(t, "10100", data.Issues[0].ID)
	assert.Equal(t, "3", data.Issues[0].StatusID, "updated issue replaced")
	assert.Equal(t, "10200", data.Issues[1].ID, "new issue added")

	all, err := s.Reports("dev", "10001")
	require.NoError(t, err)
	assert.Len(t, all, 1, "reports replaced as a whole")
	_, err = s.Report("dev", "10001", 7)
	assert.ErrorIs(t, err, ErrNotFound, "report of a window no longer computed")
}

func TestReplaceProjectFullDropsOthers(t *testing.T) {
	s := openTemp(t)
	require.NoError(t, s.ReplaceProject("dev", sampleUpdate(t)))

	u := sampleUpdate(t)
	u.Upserts = u.Upserts[:1]
	require.NoError(t, s.ReplaceProject("dev", u))

	data, err := s.ProjectData("dev", "10001")
	require.NoError(t, err)
	require.Len(t, data.Issues, 1)
	assert.Equal(t, "10100", data.Issues[0].ID)
}

func TestReplaceProjectRejectsBadInput(t *testing.T) {
	s := openTemp(t)
	cases := []struct {
		name   string
		tenant string
		edit   func(*ProjectUpdate)
		want   string
	}{
		{"empty tenant", "", func(*ProjectUpdate) {}, "tenant id is empty"},
		{"empty project id", "dev", func(u *ProjectUpdate) { u.Project.ID = "" }, "project id is empty"},
		{"empty issue id", "dev", func(u *ProjectUpdate) { u.Upserts[1].ID = "" }, "issue id is empty"},
		{"window out of range", "dev", func(u *ProjectUpdate) { u.Reports[0] = StoredReport{} }, "0 days"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := sampleUpdate(t)
			c.edit(&u)
			err := s.ReplaceProject(c.tenant, u)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	projects, err := s.Projects("dev")
	require.NoError(t, err)
	assert.Empty(t, projects, "a failed write leaves nothing behind")
}

func TestReadsOfMissingData(t *testing.T) {
	s := openTemp(t)
	require.NoError(t, s.PutSettings("dev", "10002", dora.Config{}))

	_, err := s.Report("dev", "10001", 90)
	assert.ErrorIs(t, err, ErrNotFound, "report of unknown project")
	_, err = s.Report("dev", "10002", 90)
	assert.ErrorIs(t, err, ErrNotFound, "report of a project with settings only")
	_, err = s.ProjectData("other", "10001")
	assert.ErrorIs(t, err, ErrNotFound, "facts of unknown tenant")
	_, err = s.ProjectData("dev", "10002")
	assert.ErrorIs(t, err, ErrNotFound, "facts of a project with settings only")

	projects, err := s.Projects("dev")
	require.NoError(t, err)
	assert.Empty(t, projects, "projects with settings only are not listed")
	all, err := s.Reports("dev", "10001")
	require.NoError(t, err)
	assert.Empty(t, all)
}

func TestProjectsOrderedByKey(t *testing.T) {
	s := openTemp(t)
	for _, p := range []dora.Project{{ID: "3", Key: "ZED"}, {ID: "1", Key: "ALPHA"}, {ID: "2", Key: "MID"}} {
		u := sampleUpdate(t)
		u.Project = p
		require.NoError(t, s.ReplaceProject("dev", u))
	}
	projects, err := s.Projects("dev")
	require.NoError(t, err)
	require.Len(t, projects, 3)
	assert.Equal(t, []string{"ALPHA", "MID", "ZED"}, []string{projects[0].Key, projects[1].Key, projects[2].Key})
}

func TestDeleteTenantRemovesEverything(t *testing.T) {
	s := openTemp(t)
	require.NoError(t, s.ReplaceProject("gone", sampleUpdate(t)))
	require.NoError(t, s.PutSettings("gone", "10009", dora.Config{LeadTimeStart: dora.StartCreated}))
	require.NoError(t, s.ReplaceProject("kept", sampleUpdate(t)))

	require.NoError(t, s.DeleteTenant("gone"))
	require.NoError(t, s.DeleteTenant("gone"), "deleting twice")

	tenants, err := s.Tenants()
	require.NoError(t, err)
	assert.Equal(t, []string{"kept"}, tenants)
	_, found, err := s.Settings("gone", "10009")
	require.NoError(t, err)
	assert.False(t, found, "settings of deleted tenant")
	_, err = s.ProjectData("gone", "10001")
	assert.ErrorIs(t, err, ErrNotFound, "facts of deleted tenant")
	_, err = s.Report("kept", "10001", 7)
	assert.NoError(t, err, "other tenant untouched")
}

func TestDeleteProject(t *testing.T) {
	s := openTemp(t)
	require.NoError(t, s.ReplaceProject("dev", sampleUpdate(t)))
	require.NoError(t, s.DeleteProject("dev", "10001"))
	require.NoError(t, s.DeleteProject("dev", "10001"), "deleting twice")
	projects, err := s.Projects("dev")
	require.NoError(t, err)
	assert.Empty(t, projects)
}

func TestIssueCodecRoundTrip(t *testing.T) {
	for _, is := range sampleUpdate(t).Upserts {
		t.Run(is.Key, func(t *testing.T) {
			got, err := decodeIssue(encodeIssue(is))
			require.NoError(t, err)
			assert.Equal(t, encodeIssue(is), encodeIssue(got), "re-encoded record")
			assert.Equal(t, is.Key, got.Key)
			assert.True(t, is.Created.Equal(got.Created))
		})
	}
}

func TestDecodeIssueRejectsDamage(t *testing.T) {
	good := encodeIssue(sampleUpdate(t).Upserts[0])
	hugeCount := binary.AppendUvarint([]byte{issueFormat, 0, 0, 0, 0, 0, 0}, 1<<40)
	cases := map[string][]byte{
		"empty":          nil,
		"unknown format": append([]byte{9}, good[1:]...),
		"truncated":      good[:len(good)-3],
		"trailing bytes": append(append([]byte{}, good...), 0),
		"huge count":     hugeCount,
		"bad time flag":  {issueFormat, 0, 0, 0, 0, 7},
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := decodeIssue(data)
			assert.ErrorIs(t, err, errCorrupt)
		})
	}
}

// FuzzDecodeIssue checks that any record either decodes to an issue that re-encodes to the same
// bytes or fails with errCorrupt, never panics.
//
//	go test -run '^$' -fuzz FuzzDecodeIssue ./internal/store
func FuzzDecodeIssue(f *testing.F) {
	for _, is := range sampleUpdate(f).Upserts {
		f.Add(encodeIssue(is))
	}
	f.Add([]byte{})
	f.Add([]byte{issueFormat, 0, 0, 0, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		is, err := decodeIssue(data)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error %v does not wrap errCorrupt", err)
			}
			return
		}
		again, err := decodeIssue(encodeIssue(is))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if string(encodeIssue(again)) != string(encodeIssue(is)) {
			t.Fatalf("re-encoding changed the record")
		}
	})
}

func TestReplaceProjectKeepsStaleOnSettingsRace(t *testing.T) {
	s := openTemp(t)
	require.NoError(t, s.PutSettings("dev", "10001", dora.Config{TimeZone: "UTC"}))

	// A sync read the settings, then they changed before it wrote its reports.
	u := sampleUpdate(t)
	u.Settings = dora.Config{TimeZone: "UTC"}
	require.NoError(t, s.PutSettings("dev", "10001", dora.Config{TimeZone: "Asia/Tokyo"}))
	require.NoError(t, s.ReplaceProject("dev", u))

	st, err := s.Sync("dev", "10001")
	require.NoError(t, err)
	assert.True(t, st.Stale, "reports computed with old settings stay stale")

	u.Settings = dora.Config{TimeZone: "Asia/Tokyo"}
	require.NoError(t, s.ReplaceProject("dev", u))
	st, err = s.Sync("dev", "10001")
	require.NoError(t, err)
	assert.False(t, st.Stale, "reports computed with the current settings")
}

func TestReplaceReports(t *testing.T) {
	s := openTemp(t)
	at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	err := s.ReplaceReports("dev", "10001", dora.Config{}, nil, at)
	assert.ErrorIs(t, err, ErrNotFound, "project not synced")

	require.NoError(t, s.ReplaceProject("dev", sampleUpdate(t)))
	cfg := dora.Config{LeadTimeStart: dora.StartCreated}
	require.NoError(t, s.PutSettings("dev", "10001", cfg))
	reports := map[int]StoredReport{30: {Report: dora.Report{Window: dora.WindowJSON{From: "2026-01-31"}}}}
	require.NoError(t, s.ReplaceReports("dev", "10001", cfg, reports, at))

	all, err := s.Reports("dev", "10001")
	require.NoError(t, err)
	assert.Equal(t, reports, all)
	st, err := s.Sync("dev", "10001")
	require.NoError(t, err)
	assert.False(t, st.Stale, "stale cleared")
	assert.True(t, st.ReportsAt.Equal(at))
	assert.Equal(t, "Europe/Berlin", st.SiteTimeZone, "rest of the sync state kept")
	data, err := s.ProjectData("dev", "10001")
	require.NoError(t, err)
	assert.Len(t, data.Issues, 2, "facts kept")
}

func TestCloseLogsPath(t *testing.T) {
	var logs strings.Builder
	path := filepath.Join(t.TempDir(), "metrics.db")
	s, err := Open(path, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.Equal(t, path, s.Path())
	assert.Contains(t, logs.String(), `msg="store closed" component=store path=`+path)
}

func TestProjectByID(t *testing.T) {
	s := openTemp(t)
	require.NoError(t, s.ReplaceProject("dev", sampleUpdate(t)))

	p, err := s.Project("dev", "10001")
	require.NoError(t, err)
	assert.Equal(t, dora.Project{ID: "10001", Key: "OPS", Name: "Operations"}, p)

	_, err = s.Project("dev", "OPS")
	require.ErrorIs(t, err, ErrNotFound, "a key is not an id")
	_, err = s.Project("other", "10001")
	require.ErrorIs(t, err, ErrNotFound, "another tenant's project")
	require.NoError(t, s.PutSettings("dev", "10002", dora.Config{}))
	_, err = s.Project("dev", "10002")
	require.ErrorIs(t, err, ErrNotFound, "a project with settings only")
	_, err = s.Project("dev", "")
	require.ErrorIs(t, err, ErrInvalidID)
}
