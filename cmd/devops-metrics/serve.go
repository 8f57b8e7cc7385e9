package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/recompute"
	"github.com/devops-metrics/devops-metrics/internal/server"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

const serveUsage = `usage: devops-metrics serve --app-id ARI [--addr HOST:PORT] [--db PATH] [--jwks-url URL]
       devops-metrics serve --dev (--jira-url URL | --snapshot DIR | --demo) [--viewer ACCOUNT_ID] [--addr 127.0.0.1:PORT]

Without --dev, runs the backend that Forge calls as a remote: every /forge/ request must carry
a Forge invocation token for --app-id.

With --dev, runs a local server on a loopback address for one viewer, without Forge: the
gadget page at /, the /forge/ routes without a token, and /api/report. Jira is a live site
(--jira-url, with JIRA_EMAIL and JIRA_API_TOKEN), a snapshot folder served by the built-in
Jira emulator (--snapshot), or a generated demo site (--demo).

flags:`

// devTenant is the installation id of all data in development mode.
const devTenant = "dev"

// permissionCheckGroup is the Jira client concurrency group of the permission gate, so that a
// viewer's check never waits for the slots of a running sync.
const permissionCheckGroup = "permission-checks"

// defaultDevViewer is the viewer's account id in development mode against the emulator when
// --viewer is not given.
const defaultDevViewer = "dev-viewer"

// serveOptions are the parsed flags of the serve command.
type serveOptions struct {
	addr               string
	db                 string
	appID              string
	jwksURL            string
	dev                bool
	jiraURL            string
	viewer             string
	snapshotDir        string
	demo               bool
	jiraLatency        time.Duration
	recomputeInterval  time.Duration
	permissionCacheTTL time.Duration
	allowAPIHosts      []string
	insecureTesting    bool
	shutdownTimeout    time.Duration
}

// listFlag is a flag that may be repeated or given as a comma-separated list.
type listFlag struct{ values *[]string }

func (l listFlag) String() string {
	if l.values == nil {
		return ""
	}
	return strings.Join(*l.values, ",")
}

func (l listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l.values = append(*l.values, v)
		}
	}
	return nil
}

// parseServeFlags parses and checks the flags. -h prints the help to stdout and returns
// errHelpShown.
func parseServeFlags(args []string, stdout io.Writer) (serveOptions, error) {
	var opts serveOptions
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&opts.addr, "addr", "127.0.0.1:8080", "`address` to listen on, host:port")
	fs.StringVar(&opts.db, "db", "devops-metrics.db", "`path` of the bbolt store file; created when missing")
	fs.StringVar(&opts.appID, "app-id", "", "Forge app id `ari` (ari:cloud:ecosystem::app/<uuid>) that invocation tokens must name as audience")
	fs.StringVar(&opts.jwksURL, "jwks-url", forge.ProductionJWKSURL, "`URL` of the JWKS that signs Forge invocation tokens (override for staging and tests)")
	fs.BoolVar(&opts.dev, "dev", false, "run a local development server for one viewer, without Forge (loopback addresses only)")
	fs.StringVar(&opts.jiraURL, "jira-url", "", "dev: live Jira site `URL`, read with Basic auth from JIRA_EMAIL and JIRA_API_TOKEN")
	fs.StringVar(&opts.viewer, "viewer", "", "dev: Atlassian `account id` of the viewer whose permissions are checked (default: the API token's account, or "+defaultDevViewer+" on the emulator)")
	fs.StringVar(&opts.snapshotDir, "snapshot", "", "dev: snapshot `folder` that the built-in Jira emulator serves")
	fs.BoolVar(&opts.demo, "demo", false, "dev: serve a generated demo site with recent dates from the built-in Jira emulator")
	fs.DurationVar(&opts.jiraLatency, "jira-latency", 0, "dev: `delay` the built-in Jira emulator adds to each reply, such as 50ms")
	fs.DurationVar(&opts.recomputeInterval, "recompute-interval", time.Hour, "dev: `interval` between recomputes (Forge mode uses Forge's hourly trigger)")
	fs.DurationVar(&opts.permissionCacheTTL, "permission-cache-ttl", 60*time.Second, "longest `time` a permission decision is cached, at most 60s; 0 disables the cache")
	fs.Var(listFlag{&opts.allowAPIHosts}, "allow-api-host", "extra `host[:port]` an invocation's apiBaseUrl may name, besides "+strings.Join(forge.DefaultAPIHosts, " and ")+"; repeatable")
	fs.BoolVar(&opts.insecureTesting, "insecure-testing", false, "accept http:// apiBaseUrls in invocation tokens; DANGEROUS, for tests against a local Jira emulator only")
	fs.DurationVar(&opts.shutdownTimeout, "shutdown-timeout", 10*time.Second, "longest `time` to wait for requests in flight when stopping")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, _ = fmt.Fprintln(stdout, serveUsage) // help text has nowhere else to go
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return opts, errHelpShown
		}
		return opts, usageError("serve: %v: run devops-metrics serve -h for the flags", err)
	}
	if fs.NArg() > 0 {
		return opts, usageError("serve: unexpected argument %q: pass every input as a flag, see devops-metrics serve -h", fs.Arg(0))
	}
	return opts, checkServeOptions(opts)
}

// checkServeOptions rejects flag combinations that cannot work, naming the fix.
func checkServeOptions(opts serveOptions) error {
	sources := 0
	for _, set := range []bool{opts.jiraURL != "", opts.snapshotDir != "", opts.demo} {
		if set {
			sources++
		}
	}
	switch {
	case opts.permissionCacheTTL < 0 || opts.permissionCacheTTL > 60*time.Second:
		return usageError("serve: invalid --permission-cache-ttl %s: use 0s to 60s", opts.permissionCacheTTL)
	case opts.db == "":
		return usageError("serve: missing --db: name the store file, such as --db devops-metrics.db")
	case !opts.dev && opts.appID == "":
		return usageError("serve: missing --app-id: set the Forge app id (ari:cloud:ecosystem::app/<uuid>), or use --dev for a local server")
	case !opts.dev && (sources > 0 || opts.viewer != "" || opts.jiraLatency != 0):
		return usageError("serve: --jira-url, --snapshot, --demo, --viewer and --jira-latency need --dev")
	case !opts.dev && len(opts.allowAPIHosts) > 0 && !opts.insecureTesting:
		return usageError("serve: --allow-api-host is for tests against a local Jira: give it with --insecure-testing")
	case opts.dev && sources != 1:
		return usageError("serve: --dev needs exactly one of --jira-url URL, --snapshot DIR or --demo")
	case opts.dev && opts.jiraURL != "" && opts.jiraLatency != 0:
		return usageError("serve: --jira-latency applies to the built-in emulator only: use it with --snapshot or --demo")
	case opts.dev && opts.recomputeInterval < time.Minute:
		return usageError("serve: invalid --recompute-interval %s: use 1m or more", opts.recomputeInterval)
	case opts.dev && !isLoopbackAddr(opts.addr):
		return usageError("serve: --dev serves every request as the viewer without a token, so it listens only on loopback: use --addr 127.0.0.1:PORT instead of %q", opts.addr)
	}
	return nil
}

// isLoopbackAddr reports whether addr (host:port) names a loopback host: localhost or an
// address in 127.0.0.0/8 or ::1. An empty host means every interface and is not loopback.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := parseServeFlags(args, stdout)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	if err != nil {
		return err
	}
	// Lines logged with a request's context carry its request and trace ids.
	logger := slog.New(server.RequestAttrs(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	log := logger.With("component", "serve")

	// Listen first, so a bind failure is reported at start and not from a goroutine later.
	listener, err := net.Listen("tcp", opts.addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("serve: listen on %s: %w: another process uses the port; use --addr 127.0.0.1:PORT to pick another port", opts.addr, err)
	}
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", opts.addr, err)
	}
	// Serve closes the listener when the server stops. This close covers the returns before
	// Serve starts, and its error (already closed, or nothing accepted yet) cannot matter.
	defer func() { _ = listener.Close() }()

	st, err := store.Open(opts.db, store.Options{Logger: logger})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("serve: store file %s is in use by another devops-metrics process: stop that process, or pass another --db: %w", opts.db, err)
	}
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("store close failed", "err", err)
		}
	}()
	recomputer := recompute.New(st, recompute.Options{Logger: logger})
	defer recomputer.Close()

	metrics := server.NewMetrics()
	gate := access.NewGate(access.Options{TTL: cacheTTL(opts.permissionCacheTTL), Logger: logger, Observe: metrics.ObservePermission})
	cfg := server.Config{
		Logger:             logger,
		Store:              st,
		Gate:               gate,
		Metrics:            metrics,
		DeleteInstallation: recomputer.DeleteTenant,
	}

	// Background work (the dev emulator, the dev scheduler) stops with this context.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var schedule func(ctx context.Context)
	if opts.dev {
		dev, err := startDev(ctx, opts, getenv, logger)
		if err != nil {
			return err
		}
		defer dev.close()
		wireDev(&cfg, dev, recomputer)
		schedule = func(ctx context.Context) {
			recompute.Every(ctx, opts.recomputeInterval, func(ctx context.Context) { dev.recompute(ctx, recomputer) })
		}
	} else {
		if err := wireForge(ctx, &cfg, opts, recomputer, logger); err != nil {
			return err
		}
	}

	srv, err := server.New(cfg)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	httpServer := newHTTPServer(srv, logger)

	addr := listener.Addr().String()
	var printErr error
	if opts.dev {
		_, printErr = fmt.Fprintf(stdout, "devops-metrics: gadget at http://%s/ (viewer %s)\n", addr, cfg.DevViewer.AccountID)
	} else {
		_, printErr = fmt.Fprintf(stdout, "devops-metrics: Forge remote listening on %s for app %s\n", addr, opts.appID)
	}
	if printErr != nil {
		// The address is in the next log line too, so the server keeps running.
		log.Warn("print address to stdout failed", "addr", addr, "err", printErr)
	}
	log.Info("server started", "addr", addr, "dev", opts.dev, "db", opts.db)

	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(listener) }()
	scheduled := make(chan struct{})
	go func() {
		defer close(scheduled)
		if schedule != nil {
			schedule(ctx)
		}
	}()

	select {
	case err = <-served:
		err = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		err = nil
	}
	log.Info("server stopping", "addr", addr)
	shutdownCtx, stop := context.WithTimeout(context.Background(), opts.shutdownTimeout)
	defer stop()
	if shutdownErr := httpServer.Shutdown(shutdownCtx); shutdownErr != nil && !errors.Is(shutdownErr, http.ErrServerClosed) {
		log.Error("server shutdown failed", "err", shutdownErr)
	}
	cancel()
	<-scheduled
	log.Info("server stopped", "addr", addr)
	return err
}

// cacheTTL turns the --permission-cache-ttl flag into access.Options.TTL, where 0 means the
// default and a negative value disables the cache.
func cacheTTL(flagValue time.Duration) time.Duration {
	if flagValue == 0 {
		return -1
	}
	return flagValue
}

// randomToken returns a random hex string for credentials that live only in this process.
func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
