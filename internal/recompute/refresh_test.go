package recompute

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// logBuffer collects log lines written while a sync runs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns the lines written since the last take.
func (b *logBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

// refreshFixture is a generated 1,500-issue project served by the emulator, with a store and a
// Recomputer whose clock and log the tests read.
type refreshFixture struct {
	site     *jiraemu.Site
	project  jirajson.Project
	clk      *clock
	jiraSite *emulatedSite
	st       *store.Store
	r        *Recomputer
	logs     *logBuffer
	cfg      dora.Config
}

func newRefreshFixture(t *testing.T, cfg dora.Config) *refreshFixture {
	t.Helper()
	f := &refreshFixture{
		site: jiraemu.Generate(jiraemu.GenerateOptions{Seed: 8, Projects: 1, IssuesPerProject: 1500, Now: genNow}),
		clk:  &clock{now: genNow.Add(time.Hour)},
		st:   openStore(t),
		logs: &logBuffer{},
		cfg:  cfg,
	}
	f.project = f.site.Projects[0]
	f.jiraSite = startEmulator(t, f.site, f.clk.Now)
	f.r = New(f.st, Options{Logger: slog.New(slog.NewTextHandler(f.logs, nil)), Now: f.clk.Now})
	require.NoError(t, f.st.PutSettings("dev", f.project.ID, cfg))
	return f
}

// sync runs one sync at instant at and returns whether it computed the reports.
func (f *refreshFixture) sync(t *testing.T, at time.Time) bool {
	t.Helper()
	f.clk.Set(at)
	require.NoError(t, f.r.Run(context.Background(), "dev", f.jiraSite.client))
	line := f.logs.take()
	require.Contains(t, line, "project sync finished")
	return strings.Contains(line, "recomputed=true")
}

// assertAsComputed compares every stored report with a computation from the stored facts at
// the clock's reading.
func (f *refreshFixture) assertAsComputed(t *testing.T) {
	t.Helper()
	data, err := f.st.ProjectData("dev", f.project.ID)
	require.NoError(t, err)
	want, err := ComputeWindows(data, f.cfg, f.clk.Now())
	require.NoError(t, err)
	for _, days := range WindowDays {
		got, err := f.st.Report("dev", f.project.ID, days)
		require.NoError(t, err, "%d-day report", days)
		t.Run(fmt.Sprintf("%d days", days), func(t *testing.T) { assertSameReport(t, want[days], got) })
	}
}

// TestUnchangedSyncAgesStoredReports checks the run in which nothing changed: on the calendar
// day of the previous reports it moves them to the new instant instead of computing them, and
// the result equals a computation from the stored facts at that instant. A settings change, a
// changed issue and a new calendar day each make the run compute the reports again.
func TestUnchangedSyncAgesStoredReports(t *testing.T) {
	f := newRefreshFixture(t, dora.Config{IncidentJQL: "priority = High", RecoveryStart: dora.StartDeployment})
	st, project := f.st, f.project

	require.True(t, f.sync(t, genNow.Add(time.Hour)), "the first sync computes")
	year, err := st.Report("dev", project.ID, 365)
	require.NoError(t, err)
	require.NotZero(t, year.Report.FailedDeploymentRecoveryTime.OpenIncidents, "the generated site has open incidents")
	require.NotEmpty(t, year.Evidence.OpenIncidents)

	assert.False(t, f.sync(t, genNow.Add(3*time.Hour)), "an unchanged run on the same day moves the reports")
	f.assertAsComputed(t)
	aged, err := st.Report("dev", project.ID, 365)
	require.NoError(t, err)
	assert.Equal(t, genNow.Add(3*time.Hour), aged.Report.ComputedAt.UTC())
	assert.InDelta(t, 2.0, *aged.Report.FailedDeploymentRecoveryTime.OldestOpenAgeHours-*year.Report.FailedDeploymentRecoveryTime.OldestOpenAgeHours, 1e-9,
		"the oldest open incident is two hours older")

	f.cfg.ReworkVersionPattern = "hotfix"
	require.NoError(t, st.PutSettings("dev", project.ID, f.cfg))
	assert.True(t, f.sync(t, genNow.Add(4*time.Hour)), "a settings change computes")
	f.assertAsComputed(t)

	f.clk.Set(genNow.Add(4*time.Hour + 30*time.Minute))
	require.NoError(t, f.jiraSite.emu.UpdateIssue(f.site.Issues[7].ID, func(rec *jiraemu.IssueRecord) {
		require.NoError(t, rec.SetField("fixVersions", []jirajson.Version{}))
	}))
	assert.True(t, f.sync(t, genNow.Add(5*time.Hour)), "a changed issue computes")
	f.assertAsComputed(t)

	nextDay := genNow.Add(24 * time.Hour)
	assert.True(t, f.sync(t, nextDay), "an unchanged run on the next day computes the shifted windows")
	f.assertAsComputed(t)
	week, err := st.Report("dev", project.ID, 7)
	require.NoError(t, err)
	loc, err := time.LoadLocation(f.site.TimeZone)
	require.NoError(t, err)
	assert.Equal(t, dora.PresetWindow(7, nextDay, loc).To.String(), week.Report.Window.To)

	assert.False(t, f.sync(t, nextDay.Add(time.Minute)), "and moves them again a minute later")
	f.assertAsComputed(t)
	state, err := st.Sync("dev", project.ID)
	require.NoError(t, err)
	assert.Equal(t, nextDay.Add(time.Minute), state.Cursor.UTC(), "the cursor advances on a run that only moves the reports")
	assert.Equal(t, nextDay.Add(time.Minute), state.ReportsAt.UTC())
}

// TestUnchangedSyncComputesIncompleteReports checks two kinds of stored reports that an
// unchanged run must compute rather than move: reports with open incidents but without the
// oldest one's start, as builds before that field wrote them, and a set that lacks a window.
func TestUnchangedSyncComputesIncompleteReports(t *testing.T) {
	for name, damage := range map[string]func(reports map[int]store.StoredReport){
		"without the oldest open incident's start": func(reports map[int]store.StoredReport) {
			for days, r := range reports {
				r.Report.FailedDeploymentRecoveryTime.OldestOpenStart = nil
				reports[days] = r
			}
		},
		"without the 7-day window": func(reports map[int]store.StoredReport) { delete(reports, 7) },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := dora.Config{IncidentJQL: "priority = High"}
			f := newRefreshFixture(t, cfg)
			st, project := f.st, f.project
			require.True(t, f.sync(t, genNow.Add(time.Hour)), "the first sync computes")
			reports, err := st.Reports("dev", project.ID)
			require.NoError(t, err)
			damage(reports)
			require.NoError(t, st.ReplaceReports("dev", project.ID, cfg, reports, f.clk.Now()))

			assert.True(t, f.sync(t, genNow.Add(4*time.Hour)), "the unchanged run computes")
			f.assertAsComputed(t)
		})
	}
}
