package recompute

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func TestRunFullThenIncremental(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	src.put("10", "10001", t0.Add(-48*time.Hour))
	src.put("11", "10001", t0.Add(-47*time.Hour))
	src.put("12", "10001", t0.Add(-46*time.Hour))
	src.put("99", "10002", t0.Add(-46*time.Hour))
	clk := &clock{now: t0}
	r := New(st, Options{Logger: quietLogger, Now: clk.Now})

	require.NoError(t, r.Run(context.Background(), "dev", src))
	assert.Equal(t, []string{"project = 10001"}, src.takeJQLs(), "first run reads the project in full")
	assert.Equal(t, []string{"10", "11", "12"}, storedIDs(t, st, "dev", "10001"))

	// Edit 10, delete 11, move 12 away, add 13, move 99 in with an old update time.
	clk.Set(t0.Add(time.Hour))
	src.put("10", "10001", t0.Add(30*time.Minute))
	src.remove("11")
	src.put("12", "10002", t0.Add(31*time.Minute))
	src.put("13", "10001", t0.Add(32*time.Minute))
	src.put("99", "10001", t0.Add(-2*time.Minute))

	require.NoError(t, r.Run(context.Background(), "dev", src))
	// t0 is 15:30 in Asia/Kolkata; minus 5 minutes overlap and 1 minute granularity.
	assert.Equal(t, []string{`project = 10001 AND updated >= "2026/12/01 15:24"`, "project = 10001"}, src.takeJQLs())
	assert.Equal(t, []string{"10", "13", "99"}, storedIDs(t, st, "dev", "10001"))

	state, err := st.Sync("dev", "10001")
	require.NoError(t, err)
	assert.True(t, state.Cursor.Equal(t0.Add(time.Hour)), "cursor is the run's start")
	assert.Equal(t, "Asia/Kolkata", state.SiteTimeZone)
}

func TestIncrementalEqualsFull(t *testing.T) {
	src := newFakeSource()
	for i, id := range []string{"1", "2", "3", "4", "5"} {
		src.put(id, "10001", t0.Add(time.Duration(i-10)*time.Hour))
	}
	clk := &clock{now: t0}
	incremental := openStore(t)
	r := New(incremental, Options{Logger: quietLogger, Now: clk.Now})
	require.NoError(t, r.Run(context.Background(), "dev", src))

	clk.Set(t0.Add(2 * time.Hour))
	src.put("2", "10001", t0.Add(time.Hour))
	src.put("6", "10001", t0.Add(time.Hour))
	src.remove("4")
	require.NoError(t, r.Run(context.Background(), "dev", src))

	full := openStore(t)
	require.NoError(t, New(full, Options{Logger: quietLogger, Now: clk.Now}).Run(context.Background(), "dev", src))

	gotData, err := incremental.ProjectData("dev", "10001")
	require.NoError(t, err)
	wantData, err := full.ProjectData("dev", "10001")
	require.NoError(t, err)
	assert.Equal(t, wantData, gotData, "facts")

	gotReports, err := incremental.Reports("dev", "10001")
	require.NoError(t, err)
	wantReports, err := full.Reports("dev", "10001")
	require.NoError(t, err)
	assert.Equal(t, wantReports, gotReports, "reports")
}

func TestRunStoresEveryWindow(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	src.put("1", "10001", t0.Add(-time.Hour))
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})
	require.NoError(t, r.Run(context.Background(), "dev", src))

	all, err := st.Reports("dev", "10001")
	require.NoError(t, err)
	for _, days := range WindowDays {
		rep, ok := all[days]
		if assert.True(t, ok, "%d-day report stored", days) {
			assert.Equal(t, "Asia/Kolkata", rep.Report.Window.TimeZone, "%d-day window in the site's zone", days)
			assert.True(t, rep.Report.ComputedAt.Equal(t0), "%d-day report computed at the run's clock", days)
		}
	}
}

func TestRunUsesProjectSettings(t *testing.T) {
	st := openStore(t)
	require.NoError(t, st.PutSettings("dev", "10001", dora.Config{TimeZone: "America/New_York"}))
	src := newFakeSource()
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})
	require.NoError(t, r.Run(context.Background(), "dev", src))

	rep, err := st.Report("dev", "10001", 30)
	require.NoError(t, err)
	assert.Equal(t, "America/New_York", rep.Report.Window.TimeZone)
	state, err := st.Sync("dev", "10001")
	require.NoError(t, err)
	assert.False(t, state.Stale, "settings change handled by the run")
}

func TestSettingsChangeDuringSync(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	src.onVersions = func() {
		assert.NoError(t, st.PutSettings("dev", "10001", dora.Config{TimeZone: "Pacific/Auckland"}))
	}
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})
	require.NoError(t, r.Run(context.Background(), "dev", src))

	rep, err := st.Report("dev", "10001", 7)
	require.NoError(t, err)
	assert.Equal(t, "Pacific/Auckland", rep.Report.Window.TimeZone, "reports use the settings saved during the sync")
	state, err := st.Sync("dev", "10001")
	require.NoError(t, err)
	assert.False(t, state.Stale)
}

func TestIncidentJQLChangeDuringSyncStaysStale(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	src.onVersions = func() {
		assert.NoError(t, st.PutSettings("dev", "10001", dora.Config{IncidentJQL: "priority = Highest"}))
	}
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})
	require.NoError(t, r.Run(context.Background(), "dev", src))

	state, err := st.Sync("dev", "10001")
	require.NoError(t, err)
	assert.True(t, state.Stale, "incident JQL needs Jira: stale until the next run")
}

func TestRunRejectsInvalidSettings(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})
	require.NoError(t, r.Run(context.Background(), "dev", src))
	before, err := st.Report("dev", "10001", 90)
	require.NoError(t, err)

	require.NoError(t, st.PutSettings("dev", "10001", dora.Config{TimeZone: "Mars/Olympus"}))
	err = r.Run(context.Background(), "dev", src)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Mars/Olympus")
	assert.Contains(t, err.Error(), "OPS")

	after, err := st.Report("dev", "10001", 90)
	require.NoError(t, err)
	assert.Equal(t, before, after, "previous report kept")
}

func TestFailedProjectKeepsReports(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	src.projects = append(src.projects, dora.Project{ID: "10002", Key: "WEB"})
	src.put("1", "10001", t0.Add(-time.Hour))
	src.put("2", "10002", t0.Add(-time.Hour))
	clk := &clock{now: t0}
	r := New(st, Options{Logger: quietLogger, Now: clk.Now})
	require.NoError(t, r.Run(context.Background(), "dev", src))

	clk.Set(t0.Add(time.Hour))
	src.failVersions = map[string]bool{"10001": true}
	err := r.Run(context.Background(), "dev", src)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OPS (10001)")

	ops, err := st.Report("dev", "10001", 7)
	require.NoError(t, err)
	assert.True(t, ops.Report.ComputedAt.Equal(t0), "failed project keeps its previous report")
	web, err := st.Report("dev", "10002", 7)
	require.NoError(t, err)
	assert.True(t, web.Report.ComputedAt.Equal(t0.Add(time.Hour)), "other project recomputed")
	state, err := st.Sync("dev", "10001")
	require.NoError(t, err)
	assert.True(t, state.Cursor.Equal(t0), "failed project keeps its cursor")
}

func TestRunDropsUnbrowsableProject(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	src.projects = append(src.projects, dora.Project{ID: "10002", Key: "WEB"})
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})
	require.NoError(t, r.Run(context.Background(), "dev", src))

	src.projects = src.projects[:1]
	require.NoError(t, r.Run(context.Background(), "dev", src))
	projects, err := st.Projects("dev")
	require.NoError(t, err)
	require.Len(t, projects, 1)
	assert.Equal(t, "10001", projects[0].ID)
}

func TestRunJoinsRunningSync(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	src.gate = make(chan struct{})
	src.entered = make(chan struct{}, 4)
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})

	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs[0] = r.Run(context.Background(), "dev", src)
	}()
	<-src.entered

	other := newFakeSource()
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs[1] = r.Run(context.Background(), "dev", other)
	}()
	assert.False(t, r.Trigger("dev", func(context.Context) (Source, error) { return other, nil }), "trigger during a run")

	// The second Run must have joined the first before the gate opens.
	require.Eventually(t, func() bool { return joinedCalls(r, "dev") == 2 }, 10*time.Second, time.Millisecond)
	close(src.gate)
	wg.Wait()
	r.Close()

	assert.NoError(t, errs[0])
	assert.NoError(t, errs[1])
	assert.Equal(t, 1, src.myselfCalls, "one run of the first source")
	assert.Equal(t, 0, other.myselfCalls, "joining calls do not read their source")
}

// joinedCalls returns how many calls joined the running sync of tenant, or -1 when none runs.
func joinedCalls(r *Recomputer, tenant string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f := r.flights[tenant]; f != nil {
		return f.joined
	}
	return -1
}

func TestTriggerRunsInBackground(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})

	assert.True(t, r.Trigger("dev", func(context.Context) (Source, error) { return src, nil }))
	// A Run after the trigger either joins it or starts after it; both leave reports behind.
	require.NoError(t, r.Run(context.Background(), "dev", src))
	r.Close()
	_, err := st.Report("dev", "10001", 90)
	assert.NoError(t, err)
}

func TestTriggerOpenFailure(t *testing.T) {
	st := openStore(t)
	r := New(st, Options{Logger: quietLogger})
	opened := make(chan struct{})
	assert.True(t, r.Trigger("dev", func(context.Context) (Source, error) {
		close(opened)
		return nil, errors.New("no app token")
	}))
	<-opened
	r.Close()
	tenants, err := st.Tenants()
	require.NoError(t, err)
	assert.Empty(t, tenants, "nothing stored")
}

func TestCloseCancelsTriggeredRun(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	src.gate = make(chan struct{}) // never opened: only cancellation ends the run
	src.entered = make(chan struct{}, 1)
	r := New(st, Options{Logger: quietLogger})
	require.True(t, r.Trigger("dev", func(context.Context) (Source, error) { return src, nil }))
	<-src.entered
	r.Close()
	assert.Equal(t, -1, joinedCalls(r, "dev"), "run ended")
}

func TestMaxTenantsBoundsConcurrency(t *testing.T) {
	st := openStore(t)
	r := New(st, Options{Logger: quietLogger, MaxTenants: 2, Now: func() time.Time { return t0 }})

	var active, peak atomic.Int32
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for _, tenant := range []string{"a", "b", "c", "d", "e"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, r.Run(context.Background(), tenant, &countingSource{fakeSource: newFakeSource(), active: &active, peak: &peak, gate: gate}))
		}()
	}
	require.Eventually(t, func() bool { return active.Load() == 2 }, 10*time.Second, time.Millisecond)
	close(gate)
	wg.Wait()
	assert.Equal(t, int32(2), peak.Load(), "peak of concurrent tenant runs")

	tenants, err := st.Tenants()
	require.NoError(t, err)
	assert.Len(t, tenants, 5)
}

// countingSource records how many runs are inside Myself at once and waits there for gate.
type countingSource struct {
	*fakeSource
	active, peak *atomic.Int32
	gate         chan struct{}
}

func (c *countingSource) Myself(ctx context.Context) (jira.Myself, error) {
	n := c.active.Add(1)
	defer c.active.Add(-1)
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			break
		}
	}
	<-c.gate
	return c.fakeSource.Myself(ctx)
}

func TestRunCancelled(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	r := New(st, Options{Logger: quietLogger})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := r.Run(ctx, "dev", src)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestEveryCallsUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		Every(ctx, time.Millisecond, func(context.Context) {
			if calls.Add(1) == 3 {
				cancel()
			}
		})
	}()
	<-done
	assert.Equal(t, int32(3), calls.Load())
}

func TestEveryWithoutIntervalCallsOnce(t *testing.T) {
	var calls int
	Every(context.Background(), 0, func(context.Context) { calls++ })
	assert.Equal(t, 1, calls)
}

func TestStoredReportsReadDuringRecompute(t *testing.T) {
	// Readers take reports and facts while runs replace them; each read must come from one run.
	st := openStore(t)
	src := newFakeSource()
	for i := range 200 {
		src.put(string(rune('a'+i%26))+time.Duration(i).String(), "10001", t0.Add(-time.Duration(i)*time.Minute))
	}
	clk := &clock{now: t0}
	r := New(st, Options{Logger: quietLogger, Now: clk.Now})
	require.NoError(t, r.Run(context.Background(), "dev", src))

	stop := make(chan struct{})
	var readers sync.WaitGroup
	var reads atomic.Int64
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				all, err := st.Reports("dev", "10001")
				if !assert.NoError(t, err) {
					return
				}
				assert.Len(t, all, len(WindowDays))
				var at time.Time
				for days, rep := range all {
					if at.IsZero() {
						at = rep.Report.ComputedAt
					}
					assert.True(t, at.Equal(rep.Report.ComputedAt), "%d-day report from another run", days)
				}
				one, err := st.Report("dev", "10001", 90)
				if assert.NoError(t, err) {
					assert.False(t, one.Report.ComputedAt.IsZero(), "complete report")
				}
				reads.Add(1)
			}
		}()
	}

	for i := range 20 {
		clk.Set(t0.Add(time.Duration(i+1) * time.Hour))
		src.put("z"+time.Duration(i).String(), "10001", t0.Add(time.Duration(i+1)*time.Hour))
		require.NoError(t, r.Run(context.Background(), "dev", src))
	}
	close(stop)
	readers.Wait()
	assert.Positive(t, reads.Load(), "reads made")
}

func TestDeleteTenantCancelsRunningSync(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})
	require.NoError(t, r.Run(context.Background(), "gone", src))
	require.NoError(t, r.Run(context.Background(), "kept", newFakeSource()))

	src.gate = make(chan struct{}) // never opened: only cancellation ends the run
	src.entered = make(chan struct{}, 1)
	require.True(t, r.Trigger("gone", func(context.Context) (Source, error) { return src, nil }))
	<-src.entered

	require.NoError(t, r.DeleteTenant(context.Background(), "gone"))
	r.Close()

	tenants, err := st.Tenants()
	require.NoError(t, err)
	assert.Equal(t, []string{"kept"}, tenants)
}

func TestEveryAfterCancelNeverCalls(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls int
	Every(ctx, time.Hour, func(context.Context) { calls++ })
	assert.Zero(t, calls)
}

func TestRecomputeReportsFromStoredFacts(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	src.put("1", "10001", t0.Add(-time.Hour))
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})
	require.NoError(t, r.Run(context.Background(), "dev", src))
	callsBefore := src.myselfCalls
	jqlsBefore := len(src.takeJQLs())
	require.Positive(t, jqlsBefore)

	require.NoError(t, st.PutSettings("dev", "10001", dora.Config{TimeZone: "Europe/Lisbon"}))
	require.NoError(t, r.RecomputeReports(context.Background(), "dev", "10001"))

	rep, err := st.Report("dev", "10001", 180)
	require.NoError(t, err)
	assert.Equal(t, "Europe/Lisbon", rep.Report.Window.TimeZone, "new settings applied")
	state, err := st.Sync("dev", "10001")
	require.NoError(t, err)
	assert.False(t, state.Stale)
	assert.Equal(t, callsBefore, src.myselfCalls, "no call to Jira")
	assert.Empty(t, src.takeJQLs(), "no search")
}

func TestRecomputeReportsNeedsSync(t *testing.T) {
	st := openStore(t)
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})

	err := r.RecomputeReports(context.Background(), "dev", "10001")
	assert.ErrorIs(t, err, store.ErrNotFound, "project never synced")

	require.NoError(t, r.Run(context.Background(), "dev", newFakeSource()))
	before, err := st.Reports("dev", "10001")
	require.NoError(t, err)
	require.NoError(t, st.PutSettings("dev", "10001", dora.Config{IncidentJQL: "priority = Highest"}))

	err = r.RecomputeReports(context.Background(), "dev", "10001")
	assert.ErrorIs(t, err, ErrNeedsSync, "incident JQL changed")
	after, err := st.Reports("dev", "10001")
	require.NoError(t, err)
	assert.Equal(t, before, after, "reports kept")
}

func TestRecomputeReportsWaitsForSync(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})
	require.NoError(t, r.Run(context.Background(), "dev", src))

	src.gate = make(chan struct{})
	src.entered = make(chan struct{}, 1)
	require.True(t, r.Trigger("dev", func(context.Context) (Source, error) { return src, nil }))
	<-src.entered

	require.NoError(t, st.PutSettings("dev", "10001", dora.Config{TimeZone: "Asia/Seoul"}))
	done := make(chan error, 1)
	go func() { done <- r.RecomputeReports(context.Background(), "dev", "10001") }()
	close(src.gate)
	require.NoError(t, <-done)
	r.Close()

	rep, err := st.Report("dev", "10001", 7)
	require.NoError(t, err)
	assert.Equal(t, "Asia/Seoul", rep.Report.Window.TimeZone)
}
