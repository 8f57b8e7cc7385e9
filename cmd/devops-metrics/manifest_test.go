package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// forgeManifest is the part of manifest.yml that decides what the app may do in Jira.
type forgeManifest struct {
	Modules struct {
		Endpoint []struct {
			Key   string `yaml:"key"`
			Route struct {
				Path string `yaml:"path"`
			} `yaml:"route"`
			Auth struct {
				AppUserToken struct {
					Enabled bool `yaml:"enabled"`
				} `yaml:"appUserToken"`
				AppSystemToken struct {
					Enabled bool `yaml:"enabled"`
				} `yaml:"appSystemToken"`
			} `yaml:"auth"`
		} `yaml:"endpoint"`
	} `yaml:"modules"`
	Remotes []struct {
		Key string `yaml:"key"`
	} `yaml:"remotes"`
	Permissions struct {
		Scopes   []string `yaml:"scopes"`
		External any      `yaml:"external"`
	} `yaml:"permissions"`
}

func readManifest(t *testing.T) forgeManifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "manifest.yml"))
	require.NoError(t, err)
	var m forgeManifest
	require.NoError(t, yaml.Unmarshal(data, &m))
	return m
}

func TestManifestScopesAreReadOnly(t *testing.T) {
	m := readManifest(t)

	// Each scope and the reads that need it. A change here must change the security policy too.
	want := []string{
		"read:app-system-token", // the app's token, for recomputes
		"read:app-user-token",   // the viewer's token, for permission checks
		"read:jira-user",        // GET /rest/api/3/myself: the time zone of the app's account
		"read:jira-work",        // projects, versions, statuses, issue types, issue search, changelogs
	}
	got := slices.Sorted(slices.Values(m.Permissions.Scopes))
	assert.Equal(t, want, got)
	for _, scope := range m.Permissions.Scopes {
		assert.True(t, strings.HasPrefix(scope, "read:"), "scope %s is not a read scope", scope)
	}
	assert.Nil(t, m.Permissions.External, "the gadget page fetches nothing outside the app")
}

func TestManifestTokensPerEndpoint(t *testing.T) {
	m := readManifest(t)
	require.Len(t, m.Remotes, 1, "one remote: this backend")

	userTokens := map[string]bool{}
	for _, e := range m.Modules.Endpoint {
		userTokens[e.Key] = e.Auth.AppUserToken.Enabled
		if e.Route.Path != "" {
			assert.False(t, e.Auth.AppUserToken.Enabled, "trigger endpoint %s gets no viewer's token", e.Key)
		}
	}
	assert.True(t, userTokens["gadget-endpoint"], "the gadget's endpoint gets the viewer's token for the permission check")
	assert.False(t, userTokens["uninstalled-endpoint"], "the uninstall endpoint gets no viewer's token")
}
