package main

import (
	"context"
	"errors"
	"io"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// loadLiveProject reads the facts of one project from a live Jira site, read-only.
//
// TODO: read the site through the Jira client; until then every call fails.
func loadLiveProject(ctx context.Context, jiraURL, projectKey string, getenv func(string) string, stderr io.Writer) (dora.ProjectData, error) {
	return dora.ProjectData{}, errors.New("live Jira reading is not implemented yet: use --snapshot DIR")
}
