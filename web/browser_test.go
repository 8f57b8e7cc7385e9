package web_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var screenshotRoot = flag.String("screenshots", "",
	"folder for the screenshots of each gadget state, one subfolder per test (default: a folder under the system temp dir, printed by each test)")

// browserTimeout bounds one test's whole browser session so a stuck page fails the test instead
// of hanging CI. It is a safety limit, not a speed check.
const browserTimeout = 90 * time.Second

// browser is one headless Chromium with a fresh profile. It records every request the page sends
// and every console error, uncaught exception and content security policy violation.
type browser struct {
	t        *testing.T
	ctx      context.Context
	shotsDir string
	events   *browserEvents
}

// browserEvents is what the page did, shared by a browser and its copies for subtests.
type browserEvents struct {
	mu       sync.Mutex
	requests []string
	problems []string
	// expectedErrors are patterns of console entries a test provokes on purpose, such as the
	// "Failed to load resource" line Chromium prints for a 403 response.
	expectedErrors []*regexp.Regexp
}

// forTest returns the same browser reporting failures to t, for use inside t.Run.
func (b *browser) forTest(t *testing.T) *browser {
	copied := *b
	copied.t = t
	return &copied
}

// chromiumPath returns the Chromium binary to drive: $CHROMIUM, else chromium on PATH.
// The test skips when none is found, except in CI (CI=true), where .ci/run installs Debian's
// chromium and a missing browser is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if path := os.Getenv("CHROMIUM"); path != "" {
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found on PATH: .ci/run installs it with apt-get install -y chromium")
	}
	t.Skip("chromium not found on PATH: install it with apt-get install -y chromium, or set CHROMIUM to its path")
	return ""
}

// newBrowser starts headless Chromium for one test. Screenshots go to a folder named after the test.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := chromiumPath(t)

	options := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(960, 1100),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("no-proxy-server", true),
		// Containers often have a small /dev/shm, where Chromium's renderers would crash.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("lang", "en-GB"),
		// Every host name resolves to nothing, so even a request the checks below would catch
		// never reaches another machine. Only 127.0.0.1 is left alone, and tests use only it.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), options...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelBrowser()
		cancelAlloc()
	})

	b := &browser{t: t, ctx: ctx, shotsDir: screenshotDir(t), events: &browserEvents{}}
	require.NoError(t, chromedp.Do(ctx), "start chromium at %s", exe)
	require.NoError(t, chromedp.Listen(ctx, b.record), "listen to the browser's events")
	_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
	require.NoError(t, err, "enable network events")
	_, err = chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
	require.NoError(t, err, "enable log events")
	_, err = chromedp.Call(ctx, runtime.Enable, cdp.Empty{})
	require.NoError(t, err, "enable runtime events")
	t.Cleanup(b.checkClean)
	t.Logf("screenshots of %s: %s", t.Name(), b.shotsDir)
	return b
}

func screenshotDir(t *testing.T) string {
	t.Helper()
	root := *screenshotRoot
	if root == "" {
		root = filepath.Join(os.TempDir(), "devops-metrics-gadget-screenshots")
	}
	dir := filepath.Join(root, strings.ReplaceAll(t.Name(), "/", "_"))
	require.NoError(t, os.RemoveAll(dir), "clear old screenshots")
	require.NoError(t, os.MkdirAll(dir, 0o755), "create the screenshot folder")
	return dir
}

// record runs on Chromium's event goroutine, so it only stores the events it receives.
func (b *browser) record(event any) {
	e := b.events
	e.mu.Lock()
	defer e.mu.Unlock()
	switch ev := event.(type) {
	case *network.EventRequestWillBeSent:
		e.requests = append(e.requests, ev.Request.URL)
	case *network.EventLoadingFailed:
		if ev.BlockedReason != "" {
			e.problem(fmt.Sprintf("request blocked (%s): %s", ev.BlockedReason, ev.ErrorText))
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Source == cdplog.EntrySourceSecurity {
			e.problem(fmt.Sprintf("log %s %s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, arg := range ev.Args {
				parts = append(parts, string(arg.Value)+arg.Description)
			}
			e.problem("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		details := ev.ExceptionDetails
		text := details.Text
		if details.Exception != nil {
			text += " " + details.Exception.Description
		}
		e.problem(fmt.Sprintf("uncaught exception at %s:%d: %s", details.URL, details.LineNumber, text))
	}
}

// problem stores a problem unless a test expects it. The caller holds e.mu.
func (e *browserEvents) problem(text string) {
	for _, pattern := range e.expectedErrors {
		if pattern.MatchString(text) {
			return
		}
	}
	e.problems = append(e.problems, text)
}

// takeProblems returns the problems recorded so far and clears the list.
func (b *browser) takeProblems() []string {
	e := b.events
	e.mu.Lock()
	defer e.mu.Unlock()
	problems := e.problems
	e.problems = nil
	return problems
}

// expectConsoleError accepts console entries that match pattern, for errors a test provokes.
func (b *browser) expectConsoleError(pattern string) {
	e := b.events
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expectedErrors = append(e.expectedErrors, regexp.MustCompile(pattern))
}

// checkClean fails the test when the page sent a request off the loopback address or logged an
// error or a content security policy violation.
func (b *browser) checkClean() {
	b.t.Helper()
	e := b.events
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.requests) == 0 {
		b.t.Error("the browser sent no request at all: the network events were not recorded")
	}
	for _, raw := range e.requests {
		if !loopbackURL(raw) {
			b.t.Errorf("request left 127.0.0.1: %s", raw)
		}
	}
	for _, p := range e.problems {
		b.t.Errorf("browser problem: %s", p)
	}
}

// loopbackURL reports whether a request URL stays on this machine: http(s) or ws to 127.0.0.1,
// or a URL with no network part (data:, blob:, about:).
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "data", "blob", "about":
		return true
	case "http", "https", "ws", "wss":
		return u.Hostname() == "127.0.0.1"
	default:
		return false
	}
}

// do runs chromedp steps and fails the test with what was being done.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	err := chromedp.Do(b.ctx, steps...)
	if errors.Is(err, context.DeadlineExceeded) {
		b.screenshot("failed-" + strings.ReplaceAll(what, " ", "-"))
	}
	require.NoError(b.t, err, what)
}

// screenshot saves the gadget (the page's main element, at its full height) as NAME.png in the
// test's screenshot folder.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.Screenshot(chromedp.CSS(`main`)))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(b.shotsDir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("save screenshot %s: %v", path, err)
	}
}

// evaluate runs a JavaScript expression in the page and returns its value decoded into T.
func evaluate[T any](b *browser, what, expression string) T {
	b.t.Helper()
	value, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
	require.NoError(b.t, err, what)
	return value
}

// colorScheme makes the page see the given prefers-color-scheme ("light" or "dark").
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// setLocalConfiguration stores a gadget configuration the way the local adapter does.
func setLocalConfiguration(configJSON string) chromedp.Action[chromedp.Void] {
	script := fmt.Sprintf("localStorage.setItem('devops-metrics.gadget-configuration', %q)", configJSON)
	return chromedp.Evaluate[chromedp.Void](script)
}

// unnamedControlsScript lists the visible buttons, links and form controls that have no accessible
// name: no text, no aria-label and no label element.
const unnamedControlsScript = `[...document.querySelectorAll('button, a, input, select, [role="tab"]')]
  .filter((el) => el.offsetParent !== null)
  .filter((el) => {
    const text = (el.textContent || '').trim();
    const labelled = el.labels && el.labels.length > 0;
    return text === '' && !labelled && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby');
  })
  .map((el) => el.outerHTML.slice(0, 120))`

// checkAccessibleNames fails the test for each visible control a screen reader cannot name.
func (b *browser) checkAccessibleNames(where string) {
	b.t.Helper()
	unnamed := evaluate[[]string](b, "find controls without a name", unnamedControlsScript)
	assert.Empty(b.t, unnamed, "controls without an accessible name in %s", where)
}

// waitSettled waits until the gadget has no request in flight and has drawn their results.
func waitSettled() chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(`main[data-settled="true"]`))
}
