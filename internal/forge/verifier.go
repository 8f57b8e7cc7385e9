package forge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// Issuer is the iss claim of every Forge invocation token.
const Issuer = "forge/invocation-token"

// ProductionJWKSURL is the JWKS that signs Forge invocation tokens in production.
const ProductionJWKSURL = "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json"

// MaxTokenBytes is the longest invocation token Verify accepts. Real tokens are a few KB.
const MaxTokenBytes = 16 << 10

// DefaultAPIHosts are the hosts an invocation's apiBaseUrl may name unless Options.APIHosts
// sets others: Atlassian's production and staging API gateways.
var DefaultAPIHosts = []string{"api.atlassian.com", "api.stg.atlassian.com"}

// ErrInvalidToken is returned by Verify and BearerToken when a token is missing, malformed,
// badly signed, expired, not yet valid, or meant for another app. Its wrapped message names the cause.
var ErrInvalidToken = errors.New("invalid Forge invocation token")

// Options configures a Verifier. Zero values mean the documented defaults.
type Options struct {
	// AppID is the expected aud claim, such as "ari:cloud:ecosystem::app/<uuid>". Required.
	AppID string
	// JWKSURL is the URL of the JWKS with the signing keys. Default: ProductionJWKSURL.
	JWKSURL string
	// HTTPClient fetches the JWKS. Default: a client with FetchTimeout as its timeout.
	HTTPClient *http.Client
	// FetchTimeout bounds each JWKS fetch. Default: 10 s.
	FetchTimeout time.Duration
	// RefreshInterval is how often the JWKS is fetched in the background. Default: 1 h.
	RefreshInterval time.Duration
	// UnknownKIDRefreshInterval is the least time between two fetches caused by a token whose
	// kid is not in the cached JWKS. A token with an unknown kid inside that time is rejected
	// without a fetch. Default: 1 min.
	UnknownKIDRefreshInterval time.Duration
	// Leeway is the clock skew allowed on exp, nbf and iat. Default: 10 s.
	Leeway time.Duration
	// APIHosts are the hosts (host or host:port) that an invocation's apiBaseUrl may name,
	// because the permission gate sends the viewer's token there. Default: DefaultAPIHosts.
	APIHosts []string
	// AllowHTTPAPIBaseURL accepts an http:// apiBaseUrl. Dangerous: it lets tokens travel
	// unencrypted, so only tests against a loopback Jira emulator set it.
	AllowHTTPAPIBaseURL bool
	// Logger receives JWKS fetch failures. Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock for exp, nbf and iat. Default: time.Now.
	Now func() time.Time
}

// Verifier checks Forge invocation tokens against a cached JWKS. It is safe for concurrent use.
type Verifier struct {
	opts   Options
	keys   keyfunc.Keyfunc
	parser *jwt.Parser
}

// NewVerifier returns a Verifier that fetches the JWKS once now and then every
// RefreshInterval until ctx is done. A failed first fetch is logged, not returned, so the server
// can start while the JWKS is unreachable. Tokens are then rejected until a fetch succeeds.
func NewVerifier(ctx context.Context, opts Options) (*Verifier, error) {
	if opts.AppID == "" {
		return nil, errors.New("new Forge token verifier: missing app id: set --app-id to the app's ari:cloud:ecosystem::app/<uuid>")
	}
	opts = withDefaults(opts)
	if _, err := url.ParseRequestURI(opts.JWKSURL); err != nil {
		return nil, fmt.Errorf("new Forge token verifier: invalid JWKS URL %q: %w", opts.JWKSURL, err)
	}

	logger := opts.Logger
	refreshFailed := func(jwksURL string) func(ctx context.Context, err error) {
		return func(ctx context.Context, err error) {
			logger.Warn("jwks fetch failed", "url", jwksURL, "err", err)
		}
	}
	keys, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{opts.JWKSURL}, keyfunc.Override{
		Client:          opts.HTTPClient,
		HTTPTimeout:     opts.FetchTimeout,
		RefreshInterval: opts.RefreshInterval,
		// The wait for the limiter and the fetch share this deadline, so a token with an unknown
		// kid inside the refresh interval fails at once instead of waiting for the limiter.
		RateLimitWaitMax:        opts.FetchTimeout,
		RefreshUnknownKID:       rate.NewLimiter(rate.Every(opts.UnknownKIDRefreshInterval), 1),
		RefreshErrorHandlerFunc: refreshFailed,
	})
	if err != nil {
		return nil, fmt.Errorf("new Forge token verifier for JWKS %s: %w", opts.JWKSURL, err)
	}

	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(opts.AppID),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(opts.Leeway),
		jwt.WithTimeFunc(opts.Now),
	)
	return &Verifier{opts: opts, keys: keys, parser: parser}, nil
}

func withDefaults(opts Options) Options {
	if opts.JWKSURL == "" {
		opts.JWKSURL = ProductionJWKSURL
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = 10 * time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: opts.FetchTimeout}
	}
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = time.Hour
	}
	if opts.UnknownKIDRefreshInterval <= 0 {
		opts.UnknownKIDRefreshInterval = time.Minute
	}
	if opts.Leeway <= 0 {
		opts.Leeway = 10 * time.Second
	}
	if len(opts.APIHosts) == 0 {
		opts.APIHosts = DefaultAPIHosts
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return opts
}

// BearerToken returns the token of an "Authorization: Bearer <token>" header value.
// The error wraps ErrInvalidToken and never contains the header's value.
func BearerToken(authorization string) (string, error) {
	scheme, token, found := strings.Cut(authorization, " ")
	if authorization == "" {
		return "", fmt.Errorf("%w: missing Authorization header", ErrInvalidToken)
	}
	if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", fmt.Errorf("%w: Authorization header is not \"Bearer <token>\"", ErrInvalidToken)
	}
	return strings.TrimSpace(token), nil
}

// Verify checks the token's signature, algorithm (RS256 only), issuer, audience and lifetime,
// and returns the invocation it describes. Every error wraps ErrInvalidToken and never contains
// the token. Verify may fetch the JWKS when the token's kid is unknown, bounded by ctx and
// Options.FetchTimeout.
func (v *Verifier) Verify(ctx context.Context, token string) (Invocation, error) {
	if len(token) > MaxTokenBytes {
		return Invocation{}, fmt.Errorf("%w: token is %d bytes, longer than the %d allowed", ErrInvalidToken, len(token), MaxTokenBytes)
	}
	var c tokenClaims
	if _, err := v.parser.ParseWithClaims(token, &c, v.keys.KeyfuncCtx(ctx)); err != nil {
		return Invocation{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return invocationFromClaims(&c, v.opts)
}

// Ready returns nil when the cached JWKS holds at least one key, so tokens can be verified, and
// an error naming the JWKS URL when it holds none, such as before the first successful fetch.
func (v *Verifier) Ready(ctx context.Context) error {
	keys, err := v.keys.Storage().KeyReadAll(ctx)
	if err != nil {
		return fmt.Errorf("read cached JWKS of %s: %w", v.opts.JWKSURL, err)
	}
	if len(keys) == 0 {
		return fmt.Errorf("no signing keys cached from %s yet: check that the JWKS URL is reachable", v.opts.JWKSURL)
	}
	return nil
}

// tokenClaims is the payload of a Forge invocation token.
type tokenClaims struct {
	jwt.RegisteredClaims
	App struct {
		ID             string `json:"id"`
		InstallationID string `json:"installationId"`
		APIBaseURL     string `json:"apiBaseUrl"`
		Environment    struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"environment"`
		Module struct {
			Type string `json:"type"`
			Key  string `json:"key"`
		} `json:"module"`
	} `json:"app"`
	Context struct {
		CloudID   string `json:"cloudId"`
		LocalID   string `json:"localId"`
		ModuleKey string `json:"moduleKey"`
		SiteURL   string `json:"siteUrl"`
		Extension struct {
			GadgetConfiguration json.RawMessage `json:"gadgetConfiguration"`
		} `json:"extension"`
	} `json:"context"`
	Principal string `json:"principal"`
}

// invocationFromClaims checks the app claims that the JWT library does not know and builds the
// Invocation.
func invocationFromClaims(c *tokenClaims, opts Options) (Invocation, error) {
	if c.App.InstallationID == "" {
		return Invocation{}, fmt.Errorf("%w: missing app.installationId claim", ErrInvalidToken)
	}
	base, err := checkAPIBaseURL(c.App.APIBaseURL, opts)
	if err != nil {
		return Invocation{}, err
	}

	cloudID := c.Context.CloudID
	if cloudID == "" && strings.HasPrefix(base.Path, "/ex/jira/") {
		cloudID = path.Base(base.Path)
	}
	moduleKey := c.App.Module.Key
	if moduleKey == "" {
		moduleKey = c.Context.ModuleKey
	}
	gadget := c.Context.Extension.GadgetConfiguration
	if string(gadget) == "null" {
		gadget = nil
	}

	inv := Invocation{
		InstallationID:      c.App.InstallationID,
		APIBaseURL:          strings.TrimSuffix(c.App.APIBaseURL, "/"),
		CloudID:             cloudID,
		SiteURL:             c.Context.SiteURL,
		AppID:               c.App.ID,
		EnvironmentType:     c.App.Environment.Type,
		EnvironmentID:       c.App.Environment.ID,
		ModuleType:          c.App.Module.Type,
		ModuleKey:           moduleKey,
		LocalID:             c.Context.LocalID,
		AccountID:           c.Principal,
		GadgetConfiguration: gadget,
		TokenID:             c.ID,
	}
	if c.ExpiresAt != nil {
		inv.ExpiresAt = c.ExpiresAt.Time
	}
	return inv, nil
}

// checkAPIBaseURL rejects an apiBaseUrl on a host outside Options.APIHosts or without TLS,
// because the viewer's token is sent there.
func checkAPIBaseURL(raw string, opts Options) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: missing app.apiBaseUrl claim", ErrInvalidToken)
	}
	base, err := url.Parse(raw)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("%w: app.apiBaseUrl %q is not an absolute URL", ErrInvalidToken, raw)
	}
	switch {
	case base.Scheme == "https":
	case base.Scheme == "http" && opts.AllowHTTPAPIBaseURL:
	default:
		return nil, fmt.Errorf("%w: app.apiBaseUrl %q must use https", ErrInvalidToken, raw)
	}
	if base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("%w: app.apiBaseUrl %q must not carry credentials, a query or a fragment", ErrInvalidToken, raw)
	}
	if !slices.Contains(opts.APIHosts, base.Host) && !slices.Contains(opts.APIHosts, base.Hostname()) {
		return nil, fmt.Errorf("%w: app.apiBaseUrl host %q is not an allowed API host (allowed: %s)", ErrInvalidToken, base.Host, strings.Join(opts.APIHosts, ", "))
	}
	return base, nil
}
