package forge

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// Invocation is a verified Forge call: who is asking, for which installation and site, and from
// which module. Every field comes from the verified invocation token, except the app tokens,
// which come from the request headers of the same call.
type Invocation struct {
	// InstallationID identifies the app installation. All stored data belongs to it.
	InstallationID string
	// APIBaseURL is the base URL of Jira's API for this installation, such as
	// "https://api.atlassian.com/ex/jira/<cloudId>".
	APIBaseURL string
	CloudID    string
	SiteURL    string
	AppID      string
	// EnvironmentType is DEVELOPMENT, STAGING or PRODUCTION.
	EnvironmentType string
	EnvironmentID   string
	ModuleType      string
	ModuleKey       string
	LocalID         string
	// AccountID is the viewer's Atlassian account id. It is empty on triggers and lifecycle
	// events, which no user makes.
	AccountID string
	// GadgetConfiguration is the raw JSON of context.extension.gadgetConfiguration, or nil.
	GadgetConfiguration json.RawMessage
	// TokenID is the token's jti claim.
	TokenID   string
	ExpiresAt time.Time

	userToken   string
	systemToken string
}

// WithAppTokens returns a copy of inv that carries the viewer's token (x-forge-oauth-user) and
// the app's system token (x-forge-oauth-system). Either may be empty.
func (inv Invocation) WithAppTokens(userToken, systemToken string) Invocation {
	inv.userToken = userToken
	inv.systemToken = systemToken
	return inv
}

// UserToken returns the viewer's OAuth token for Jira calls on the viewer's behalf, or "".
// It is a secret: never log or store it.
func (inv Invocation) UserToken() string { return inv.userToken }

// SystemToken returns the app's OAuth token for Jira calls as the app, or "".
// It is a secret: never log or store it.
func (inv Invocation) SystemToken() string { return inv.systemToken }

// LogValue logs the invocation's ids and never its tokens.
func (inv Invocation) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("installation", inv.InstallationID),
		slog.String("cloud_id", inv.CloudID),
		slog.String("account", inv.AccountID),
		slog.String("module", inv.ModuleKey),
	)
}

type contextKey struct{}

// NewContext returns a copy of ctx that carries inv.
func NewContext(ctx context.Context, inv Invocation) context.Context {
	return context.WithValue(ctx, contextKey{}, inv)
}

// FromContext returns the invocation stored in ctx, and false when there is none.
func FromContext(ctx context.Context) (Invocation, bool) {
	inv, ok := ctx.Value(contextKey{}).(Invocation)
	return inv, ok
}
