package recompute

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

// The loopback benchmarks below read a generated project from a Jira emulator that runs in a
// child process (this test binary, started again with emulatorIssuesEnv set). The benchmark
// process then holds only the client, the engine and the store, so its peak RSS is the sync's
// own and not the emulator's copy of the site.

// emulatorIssuesEnv, when set in the environment of this test binary, makes
// TestEmulatorProcess serve a generated site with that many issues.
const emulatorIssuesEnv = "DEVOPS_METRICS_BENCH_EMULATOR_ISSUES"

// emulatorLatencyEnv, when set to a duration such as "10ms", makes the emulator process wait
// that long before every reply, as a stand-in for the network and Jira's own time.
const emulatorLatencyEnv = "DEVOPS_METRICS_BENCH_EMULATOR_LATENCY"

// emulatorProfileEnv, when set to a file path, makes the emulator process write a CPU profile
// of its serving there, for finding which side of a loopback sync takes the time.
const emulatorProfileEnv = "DEVOPS_METRICS_BENCH_EMULATOR_CPUPROFILE"

// emulatorReadyPrefix starts the line in which the emulator process prints its URL.
const emulatorReadyPrefix = "emulator listening on "

// benchSite generates the site of the loopback benchmarks: one project of n issues with the
// generator's defaults (12 versions, every 50th issue with 60 to 120 status changes).
func benchSite(n int) *jiraemu.Site {
	return jiraemu.Generate(jiraemu.GenerateOptions{Seed: 11, Projects: 1, IssuesPerProject: n, Days: 720, Now: genNow})
}

// TestEmulatorProcess serves benchSite on 127.0.0.1 when the loopback benchmarks start this
// binary as their emulator, with the reply delay of emulatorLatencyEnv. It prints the URL, then serves until its standard input closes.
// Without emulatorIssuesEnv it skips.
func TestEmulatorProcess(t *testing.T) {
	issues := os.Getenv(emulatorIssuesEnv)
	if issues == "" {
		t.Skip("runs only as the emulator process of the loopback benchmarks")
	}
	n, err := strconv.Atoi(issues)
	require.NoError(t, err, "%s=%q is not a number of issues", emulatorIssuesEnv, issues)

	emu := jiraemu.New(benchSite(n), jiraemu.EmulatorOptions{
		Users: []jiraemu.User{{AccountID: testAccountID, Email: testEmail, APIToken: testAPIToken}},
		Now:   func() time.Time { return genNow },
	})
	if latency := os.Getenv(emulatorLatencyEnv); latency != "" {
		delay, err := time.ParseDuration(latency)
		require.NoError(t, err, "%s=%q is not a duration", emulatorLatencyEnv, latency)
		emu.SetFaults(jiraemu.Faults{Delay: delay})
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	server := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(listener) }()
	fmt.Printf("%shttp://%s\n", emulatorReadyPrefix, listener.Addr())

	if path := os.Getenv(emulatorProfileEnv); path != "" {
		out, err := os.Create(path)
		require.NoError(t, err)
		require.NoError(t, pprof.StartCPUProfile(out))
		defer func() {
			pprof.StopCPUProfile()
			require.NoError(t, out.Close())
		}()
	}
	// The parent closes our standard input when it is done, or dies.
	_, _ = bufio.NewReader(os.Stdin).ReadString(0)
	require.NoError(t, server.Close())
}

// startEmulatorProcess starts TestEmulatorProcess in a child process for a project of n issues
// whose replies wait latency, and returns its base URL. The child stops when the benchmark ends.
func startEmulatorProcess(b *testing.B, n int, latency time.Duration) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestEmulatorProcess$", "-test.count", "1")
	cmd.Env = append(os.Environ(), emulatorIssuesEnv+"="+strconv.Itoa(n), emulatorLatencyEnv+"="+latency.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	b.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})

	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), emulatorReadyPrefix); ok {
			// Drain the rest of the child's output so that it never blocks on a full pipe.
			go func() {
				for lines.Scan() {
				}
			}()
			return rest
		}
	}
	b.Fatalf("the emulator process exited before printing its URL: %v", lines.Err())
	return ""
}

// requestCounter is an http.RoundTripper that counts the requests sent through it.
type requestCounter struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *requestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// newRequestCounter returns a counter over a transport that keeps up to 8 idle loopback
// connections, enough for the client's 4 requests in flight and the baseline's 5.
func newRequestCounter() *requestCounter {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 8
	return &requestCounter{next: t}
}

// countingClient returns a product client for baseURL that sends its requests through counter.
func countingClient(b *testing.B, baseURL string, counter *requestCounter) *jira.Client {
	b.Helper()
	client, err := jira.NewBasic(baseURL, testEmail, testAPIToken, jira.Options{
		Logger:     quietLogger,
		HTTPClient: &http.Client{Transport: counter, Timeout: time.Minute},
	})
	require.NoError(b, err)
	b.Cleanup(client.Close)
	return client
}

// peakRSSMiB returns the highest resident set size of this process so far, in MiB.
func peakRSSMiB(b *testing.B) float64 {
	b.Helper()
	var usage syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &usage))
	// Linux reports ru_maxrss in KiB.
	return float64(usage.Maxrss) / 1024
}

// BenchmarkLoopbackFullSync measures the first sync of one generated project, read from the
// emulator process over loopback HTTP, with the product's client and with naiveSource, a
// baseline that reads the way most Jira tools do. Both runs write the same facts and reports
// to a bbolt file. At latency=0s the emulator replies as fast as it can. At latency=20ms every
// reply waits 20 ms first, a round figure chosen to stand in for the network and Jira's own
// time, not a measurement of Jira Cloud. It reports the Jira requests of one sync and the
// benchmark process's peak RSS. The peak covers everything the process did before, so run
// one sub-benchmark per process:
//
//	go test -c -o /tmp/recompute.test ./internal/recompute
//	/tmp/recompute.test -test.run '^$' -test.bench '^BenchmarkLoopbackFullSync$/^issues=100000$/^latency=0s$/^client=product$' \
//	  -test.benchtime 1x -test.count 1 -test.benchmem -test.timeout 60m
func BenchmarkLoopbackFullSync(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
			b.Run(fmt.Sprintf("issues=%d/latency=%s", n, latency), func(b *testing.B) {
				baseURL := startEmulatorProcess(b, n, latency)
				for _, client := range []string{"product", "naive"} {
					b.Run("client="+client, func(b *testing.B) { benchmarkFullSync(b, baseURL, client == "naive") })
				}
			})
		}
	}
}

func benchmarkFullSync(b *testing.B, baseURL string, naive bool) {
	counter := newRequestCounter()
	client := countingClient(b, baseURL, counter)
	var src Source = client
	if naive {
		src = &naiveSource{Client: client, baseURL: baseURL, http: &http.Client{Transport: counter, Timeout: time.Minute}}
	}
	st := openStore(b)
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return genNow }})
	b.ReportAllocs()
	runs := 0
	for b.Loop() {
		runs++
		// A new tenant each time makes every run a full one.
		require.NoError(b, r.Run(context.Background(), fmt.Sprint("bench-", runs), src))
	}
	b.ReportMetric(float64(counter.n.Load())/float64(runs), "requests/op")
	b.ReportMetric(peakRSSMiB(b), "peak-RSS-MiB")
}

// BenchmarkLoopbackIncrementalSync measures an hourly run on a 100,000-issue project in which
// nothing changed since the previous run. Each run is one minute after the previous one, so
// every run's windows end on the same calendar day. requests/op counts every request of a
// run: the 4 site reads once per tenant, then the reads of the one project.
//
//	go test -c -o /tmp/recompute.test ./internal/recompute
//	/tmp/recompute.test -test.run '^$' -test.bench '^BenchmarkLoopbackIncrementalSync$' \
//	  -test.benchtime 20x -test.count 5 -test.benchmem -test.timeout 60m
func BenchmarkLoopbackIncrementalSync(b *testing.B) {
	const issues = 100000
	baseURL := startEmulatorProcess(b, issues, 0)
	counter := newRequestCounter()
	client := countingClient(b, baseURL, counter)
	// The site's last update is at genNow. Syncing an hour later puts it before the cursor
	// minus the overlap, so the incremental runs fetch no issue.
	clk := &clock{now: genNow.Add(time.Hour)}
	st := openStore(b)
	r := New(st, Options{Logger: quietLogger, Now: clk.Now})
	require.NoError(b, r.Run(context.Background(), "bench", client))
	counter.n.Store(0)

	b.ReportAllocs()
	runs := 0
	for b.Loop() {
		runs++
		clk.Set(clk.Now().Add(time.Minute))
		require.NoError(b, r.Run(context.Background(), "bench", client))
	}
	b.ReportMetric(float64(counter.n.Load())/float64(runs), "requests/op")
	b.ReportMetric(peakRSSMiB(b), "peak-RSS-MiB")
}

// naiveSource is the baseline of BenchmarkLoopbackFullSync. It reads issues the way most Jira
// tools do: a search with the changelog expanded, 100 issues a page, then every issue's complete
// changelog from GET /issue/{id}/changelog, 100 histories a page, because the search keeps only
// the newest 40 histories. Up to 4 changelog requests run at once while the search pages
// arrive, the same number of requests in flight as the product's client allows. The other
// reads are the product client's, so only the issue reads differ.
type naiveSource struct {
	*jira.Client
	baseURL string
	http    *http.Client
}

func (s *naiveSource) FetchIssues(ctx context.Context, jql string, _ func(fetched, total int)) ([]jira.FetchedIssue, error) {
	type job struct {
		index int
		issue jirajson.Issue
	}
	var (
		issues   []jira.FetchedIssue
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		jobs     = make(chan job)
	)
	for range 4 {
		wg.Go(func() {
			for j := range jobs {
				histories, err := s.changelog(ctx, j.issue.ID)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				issues[j.index].Issue = j.issue.Facts(histories)
				mu.Unlock()
			}
		})
	}

	searchErr := s.search(ctx, jql, func(page []jirajson.Issue) {
		for _, issue := range page {
			mu.Lock()
			issues = append(issues, jira.FetchedIssue{ProjectID: issue.Fields.Project.ID, Updated: issue.Fields.Updated.Time})
			index := len(issues) - 1
			mu.Unlock()
			jobs <- job{index: index, issue: issue}
		}
	})
	close(jobs)
	wg.Wait()
	if searchErr != nil {
		return nil, searchErr
	}
	return issues, firstErr
}

// search pages GET /search/jql with expand=changelog and calls page with each page.
func (s *naiveSource) search(ctx context.Context, jql string, page func([]jirajson.Issue)) error {
	token := ""
	for {
		q := url.Values{
			"jql":        {jql},
			"fields":     {"issuetype,status,created,resolutiondate,updated,project,fixVersions,versions"},
			"expand":     {"changelog"},
			"maxResults": {"100"},
		}
		if token != "" {
			q.Set("nextPageToken", token)
		}
		var res jirajson.SearchResults
		if err := s.get(ctx, "/rest/api/3/search/jql", q, &res); err != nil {
			return err
		}
		page(res.Issues)
		if res.IsLast || res.NextPageToken == "" {
			return nil
		}
		token = res.NextPageToken
	}
}

// changelog pages GET /issue/{id}/changelog to the end.
func (s *naiveSource) changelog(ctx context.Context, id string) ([]jirajson.History, error) {
	var all []jirajson.History
	for startAt := 0; ; {
		q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {"100"}}
		var page jirajson.PageBeanChangelog
		if err := s.get(ctx, "/rest/api/3/issue/"+id+"/changelog", q, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Values...)
		if page.IsLast || len(page.Values) == 0 {
			// An empty slice, not nil, so that Facts does not fall back to the search's histories.
			if all == nil {
				all = []jirajson.History{}
			}
			return all, nil
		}
		startAt += len(page.Values)
	}
}

func (s *naiveSource) get(ctx context.Context, path string, q url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.baseURL+path+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(testEmail, testAPIToken)
	req.Header.Set("Accept", "application/json")
	res, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer func() { _ = res.Body.Close() }() // a GET: the decoded body is all the caller needs
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %s", path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("GET %s: decode: %w", path, err)
	}
	return nil
}
