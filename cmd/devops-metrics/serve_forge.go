package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/recompute"
	"github.com/devops-metrics/devops-metrics/internal/server"
)

// permissionCheckTimeout bounds one permission check, retries included, well inside the 25 s
// that Forge waits for a remote.
const permissionCheckTimeout = 10 * time.Second

// wireForge fills cfg for Forge mode: tokens are verified against the JWKS, permission checks
// use the viewer's token from x-forge-oauth-user, and recomputes use the app's token from
// x-forge-oauth-system, each against the apiBaseUrl of the verified token. Every outbound
// client reaches only the hosts of the egress allowlists.
func wireForge(ctx context.Context, cfg *server.Config, opts serveOptions, recomputer *recompute.Recomputer, logger *slog.Logger) error {
	out, err := newForgeEgress(opts)
	if err != nil {
		return err
	}
	verifier, err := forge.NewVerifier(ctx, forge.Options{
		AppID:               opts.appID,
		JWKSURL:             opts.jwksURL,
		HTTPClient:          out.jwks.Client(jwksFetchTimeout),
		FetchTimeout:        jwksFetchTimeout,
		APIHosts:            append(slices.Clone(forge.DefaultAPIHosts), opts.allowAPIHosts...),
		AllowHTTPAPIBaseURL: opts.insecureTesting,
		Logger:              logger.With("component", "forge"),
	})
	if err != nil {
		return usageError("serve: %v", err)
	}
	if opts.insecureTesting {
		logger.Warn("insecure testing mode: invocation tokens may name http:// API base URLs", "component", "serve")
	}
	cfg.Verifier = verifier
	cfg.Ready = verifier.Ready
	logger.Info("forge mode", "component", "serve", "app_id", opts.appID, "jwks_url", opts.jwksURL, "api_hosts", append(slices.Clone(forge.DefaultAPIHosts), opts.allowAPIHosts...))

	// One transport for every per-request client, so connections to Jira are reused.
	checks := out.api.Client(permissionCheckTimeout)
	recomputes := out.api.Client(jiraRequestTimeout)
	cfg.NewChecker = func(ctx context.Context, inv forge.Invocation) (access.Checker, error) {
		if inv.UserToken() == "" {
			return nil, errors.New("missing x-forge-oauth-user header: enable appUserToken on the gadget's endpoint in manifest.yml")
		}
		checkOptions := jira.Options{HTTPClient: checks, Logger: server.LoggerFrom(ctx), MaxAttempts: 2, MaxBackoff: time.Second, ConcurrencyGroup: permissionCheckGroup}
		client, err := jira.NewBearer(inv.APIBaseURL, inv.UserToken(), checkOptions)
		if err != nil {
			return nil, fmt.Errorf("jira client for installation %s: %w", inv.InstallationID, err)
		}
		return client, nil
	}

	cfg.Recompute = func(inv forge.Invocation) bool {
		// The app's token stays in this closure, in memory, for the one run that uses it.
		installation, apiBaseURL, systemToken := inv.InstallationID, inv.APIBaseURL, inv.SystemToken()
		return recomputer.Trigger(installation, func(context.Context) (recompute.Source, error) {
			if systemToken == "" {
				return nil, errors.New("missing x-forge-oauth-system header: enable appSystemToken on the trigger's endpoint in manifest.yml")
			}
			return jira.NewBearer(apiBaseURL, systemToken, jira.Options{Logger: logger, HTTPClient: recomputes})
		})
	}
	return nil
}
