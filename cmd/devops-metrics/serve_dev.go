package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
	"github.com/devops-metrics/devops-metrics/internal/recompute"
	"github.com/devops-metrics/devops-metrics/internal/server"
	"github.com/devops-metrics/devops-metrics/web"
)

// devEmulatorEmail is the login of the account the in-process emulator accepts. Its API token
// is random for each run.
const devEmulatorEmail = "dev@localhost"

// devSite is the Jira of development mode: a live site, or the in-process emulator on loopback.
type devSite struct {
	jiraURL  string
	siteURL  string // for links in the gadget; empty for the emulator
	email    string
	apiToken string
	viewer   string
	// checker checks the viewer's permissions.
	checker access.Checker
	// base is the logger for the components (jira, jiraemu) that add their own tag; logger is
	// tagged component=serve.
	base   *slog.Logger
	logger *slog.Logger
	// emulator is set when the in-process emulator serves Jira; close stops it.
	emulator *http.Server
	// egress builds the HTTP client of every Jira client, which reaches jiraURL only.
	egress devEgress
}

// startDev connects to the live site of --jira-url, or starts the emulator on --snapshot or
// --demo, and works out the viewer.
func startDev(ctx context.Context, opts serveOptions, getenv func(string) string, logger *slog.Logger) (*devSite, error) {
	dev := &devSite{base: logger, logger: logger.With("component", "serve")}
	if opts.jiraURL != "" {
		return dev, dev.connectLive(ctx, opts, getenv)
	}
	return dev, dev.startEmulator(opts)
}

func (d *devSite) connectLive(ctx context.Context, opts serveOptions, getenv func(string) string) error {
	d.jiraURL, d.siteURL = strings.TrimSuffix(opts.jiraURL, "/"), strings.TrimSuffix(opts.jiraURL, "/")
	d.email, d.apiToken = getenv("JIRA_EMAIL"), getenv("JIRA_API_TOKEN")
	if d.email == "" || d.apiToken == "" {
		return usageError("serve: --jira-url needs the JIRA_EMAIL and JIRA_API_TOKEN environment variables: set them to your Atlassian account email and an API token")
	}
	client, err := d.newClientIn(permissionCheckGroup)
	if err != nil {
		return usageError("serve: %v", err)
	}
	me, err := client.Myself(ctx)
	if err != nil {
		return fmt.Errorf("serve: read the account of JIRA_EMAIL on %s: %w: check JIRA_EMAIL, JIRA_API_TOKEN and --jira-url", d.jiraURL, err)
	}
	d.viewer = opts.viewer
	if d.viewer == "" || d.viewer == me.AccountID {
		d.viewer = me.AccountID
		d.checker = client
		return nil
	}
	// Jira checks another account's permissions only for callers who administer Jira.
	d.checker = viewerChecker{client: client, accountID: d.viewer}
	return nil
}

func (d *devSite) startEmulator(opts serveOptions) error {
	var site *jiraemu.Site
	if opts.demo {
		site = jiraemu.Generate(jiraemu.GenerateOptions{Seed: 1, Projects: 3, Now: time.Now().UTC().Truncate(time.Hour)})
	} else {
		var err error
		if site, err = jiraemu.LoadDir(opts.snapshotDir); err != nil {
			return usageError("serve: --snapshot: %v", err)
		}
	}
	d.viewer = cmp.Or(opts.viewer, defaultDevViewer)
	if site.Permissions != nil {
		if _, ok := site.Permissions[d.viewer]; !ok {
			accounts := make([]string, 0, len(site.Permissions))
			for account := range site.Permissions {
				accounts = append(accounts, account)
			}
			slices.Sort(accounts)
			return usageError("serve: viewer %q has no entry in the snapshot's permissions.json: pass --viewer with one of %s", d.viewer, strings.Join(accounts, ", "))
		}
	}
	d.email, d.apiToken = devEmulatorEmail, randomToken()
	emulator := jiraemu.New(site, jiraemu.EmulatorOptions{
		// The dev viewer administers the projects they may browse, so the settings can be changed.
		Users:  []jiraemu.User{{AccountID: d.viewer, Email: d.email, APIToken: d.apiToken, ProjectAdmin: true}},
		Logger: d.base,
	})
	if opts.jiraLatency > 0 {
		emulator.SetFaults(jiraemu.Faults{Delay: opts.jiraLatency})
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("serve: start the Jira emulator: %w", err)
	}
	d.emulator = newHTTPServer(emulator, d.base)
	go func() {
		if err := d.emulator.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.logger.Error("jira emulator stopped", "err", err)
		}
	}()
	d.jiraURL = "http://" + listener.Addr().String()
	d.logger.Info("jira emulator started", "url", d.jiraURL, "projects", len(site.Projects), "issues", len(site.Issues), "latency", opts.jiraLatency)

	client, err := d.newClientIn(permissionCheckGroup)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	d.checker = client
	return nil
}

// newClient returns a Jira client with the dev credentials. The recompute closes it after a run.
func (d *devSite) newClient() (*jira.Client, error) {
	return d.newClientIn("")
}

// newClientIn returns a Jira client with the dev credentials whose requests take their
// concurrency slots from the named group.
func (d *devSite) newClientIn(group string) (*jira.Client, error) {
	httpClient, err := d.egress.clientFor(d.jiraURL)
	if err != nil {
		return nil, err
	}
	return jira.NewBasic(d.jiraURL, d.email, d.apiToken, jira.Options{Logger: d.base, HTTPClient: httpClient, ConcurrencyGroup: group})
}

// recompute runs one recompute of the dev tenant and waits for it; a failure is logged, and
// the previous reports stay.
func (d *devSite) recompute(ctx context.Context, recomputer *recompute.Recomputer) {
	client, err := d.newClient()
	if err != nil {
		d.logger.Error("recompute not started", "err", err)
		return
	}
	defer client.Close()
	if err := recomputer.Run(ctx, devTenant, client); err != nil && ctx.Err() == nil {
		d.logger.Error("recompute failed", "tenant", devTenant, "err", err)
	}
}

func (d *devSite) close() {
	if d.emulator == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.emulator.Shutdown(ctx); err != nil {
		d.logger.Warn("jira emulator shutdown failed", "err", err)
	}
}

// wireDev fills cfg for development mode: every /forge/ request is the dev viewer's, whose
// permissions are checked against the dev Jira, and the gadget page is served at /.
func wireDev(cfg *server.Config, dev *devSite, recomputer *recompute.Recomputer) {
	cfg.Dev = true
	cfg.DevViewer = forge.Invocation{
		InstallationID: devTenant,
		AccountID:      dev.viewer,
		APIBaseURL:     dev.jiraURL,
		SiteURL:        dev.siteURL,
		ModuleKey:      "dora-metrics-gadget",
	}
	cfg.Assets = web.Assets()
	cfg.AssetsCSP = web.ContentSecurityPolicy
	cfg.NewChecker = func(context.Context, forge.Invocation) (access.Checker, error) { return dev.checker, nil }
	cfg.Recompute = func(forge.Invocation) bool {
		return recomputer.Trigger(devTenant, func(context.Context) (recompute.Source, error) { return dev.newClient() })
	}
}

// viewerChecker checks the permissions of another account than the API token's, as a Jira
// administrator may.
type viewerChecker struct {
	client    *jira.Client
	accountID string
}

func (v viewerChecker) CheckProjectPermissions(ctx context.Context, permission string, projectIDs []string) ([]string, error) {
	return v.client.CheckProjectPermissionsOf(ctx, v.accountID, permission, projectIDs)
}
