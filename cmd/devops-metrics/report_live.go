package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jira"
)

// loadLiveProject reads the facts of one project from a live Jira Cloud site, read-only,
// with Basic auth from the JIRA_EMAIL and JIRA_API_TOKEN environment variables. When
// incidentJQL is not empty, Jira runs it within the project and the matching issue ids fill
// IncidentJQLMatches. Retries and progress are logged to stderr, but credentials never are.
func loadLiveProject(ctx context.Context, jiraURL, projectKey, incidentJQL string, getenv func(string) string, stderr io.Writer) (dora.ProjectData, error) {
	email, token := getenv("JIRA_EMAIL"), getenv("JIRA_API_TOKEN")
	if email == "" || token == "" {
		return dora.ProjectData{}, usageError("--jira-url needs the JIRA_EMAIL and JIRA_API_TOKEN environment variables: set them to your Atlassian account email and an API token from https://id.atlassian.com/manage-profile/security/api-tokens")
	}
	base := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	logger := base.With("component", "report")
	client, err := jira.NewBasic(jiraURL, email, token, jira.Options{Logger: base})
	if err != nil {
		return dora.ProjectData{}, usageError("%v", err)
	}
	defer client.Close()

	// Jira project keys are upper case, so a key typed in lower case names the same project.
	// An id is all digits and unchanged by this.
	projectKey = strings.ToUpper(projectKey)
	logger.Info("reading project", "site", client.SiteURL(), "project", projectKey)
	lastShown := -1
	data, err := client.LoadProject(ctx, projectKey, func(fetched, total int) {
		// One line per 1,000 issues keeps long reads visible without flooding the terminal.
		if fetched/1000 != lastShown/1000 || fetched == total {
			logger.Info("reading issues", "project", projectKey, "fetched", fetched, "total", total)
			lastShown = fetched
		}
	})
	switch {
	case errors.Is(err, jira.ErrUnreachable):
		return dora.ProjectData{}, fmt.Errorf("cannot connect to Jira at %s: %s: check --jira-url and the network", client.SiteURL(), connectCause(err))
	case errors.Is(err, jira.ErrUnauthorized):
		return dora.ProjectData{}, fmt.Errorf("read project %s from %s: %w: check JIRA_EMAIL and JIRA_API_TOKEN", projectKey, client.SiteURL(), err)
	case errors.Is(err, jira.ErrNotFound):
		return dora.ProjectData{}, usageError("read project %s from %s: %v: check the project key and that the account may browse it", projectKey, client.SiteURL(), err)
	case err != nil:
		return dora.ProjectData{}, fmt.Errorf("read project %s from %s: %w", projectKey, client.SiteURL(), err)
	}
	if incidentJQL != "" {
		data.IncidentJQLMatches, err = incidentMatches(ctx, client, data.Project, incidentJQL)
		if err != nil {
			return dora.ProjectData{}, err
		}
	}
	logger.Info("read project", "project", projectKey, "issues", len(data.Issues), "versions", len(data.Versions))
	return data, nil
}

// incidentMatches returns the ids of the project's issues that match the configured incident JQL.
func incidentMatches(ctx context.Context, client *jira.Client, project dora.Project, incidentJQL string) (map[string]bool, error) {
	ids, err := client.SearchIssueIDs(ctx, fmt.Sprintf("project = %s AND (%s)", project.ID, incidentJQL))
	if errors.Is(err, jira.ErrBadRequest) {
		return nil, usageError("incidentJql %q: Jira rejected it: %v: fix the JQL in the config file", incidentJQL, err)
	}
	if err != nil {
		return nil, fmt.Errorf("run incidentJql %q in project %s: %w", incidentJQL, project.Key, err)
	}
	matches := make(map[string]bool, len(ids))
	for _, id := range ids {
		matches[id] = true
	}
	return matches, nil
}

// connectCause returns the network error inside err, such as "dial tcp 127.0.0.1:1: connect:
// connection refused", without the request details around it.
func connectCause(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Error()
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.Error()
	}
	return err.Error()
}
