// Package samplesite finds the recorded Jira Cloud site that tests read in place.
//
// The site lives outside the repository, at ../shared/data/jira-sample relative to the module
// root, and is never copied in. Checkouts without it skip the tests that need it.
package samplesite

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the path of the sample site folder, or skips the test when the folder is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := find()
	if err != nil {
		tb.Skipf("sample Jira site not found (%v): these tests need ../shared/data/jira-sample beside the repository", err)
	}
	return dir
}

// find walks up from the working directory to go.mod and returns ../shared/data/jira-sample from there.
func find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
	site := filepath.Join(dir, "..", "shared", "data", "jira-sample")
	if _, err := os.Stat(filepath.Join(site, "issues.json")); err != nil {
		return "", err
	}
	return filepath.Clean(site), nil
}
