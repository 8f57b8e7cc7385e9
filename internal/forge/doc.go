// Package forge verifies Forge invocation tokens and carries the verified invocation through a
// request.
//
// Forge sends every call to a remote backend with "Authorization: Bearer <token>", where the
// token is an RS256 JWT signed by a key from Atlassian's JWKS. Only the token names the
// installation, site and viewer of a call. A Verifier checks its signature, issuer, audience
// and lifetime and returns an Invocation built from the verified claims only.
//
// Caveats:
//   - The app tokens that Forge sends beside the invocation token (x-forge-oauth-user and
//     x-forge-oauth-system) are opaque. This package never logs them, and an Invocation's
//     LogValue leaves them out.
//   - A Verifier checks one JWKS. Staging (forge.cdn.stg.atlassian-dev.net) needs its own
//     JWKS URL in Options.JWKSURL.
package forge
