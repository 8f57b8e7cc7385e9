// Package server is the HTTP side of the product: the routes Forge calls as a remote (the
// gadget's resolver, the scheduled trigger and the lifecycle events), health and Prometheus
// endpoints, and in development mode the gadget page and /api/report.
//
// Every /forge/ request is authenticated first: in Forge mode by its invocation token, in
// development mode as the configured viewer. Every route that returns project data then calls
// the permission gate, which checks the viewer's Jira permission and fails closed. Handlers read
// precomputed data from the store and never call Jira for metrics.
//
// All routes are listed in routes.go. Errors become a status and a JSON body
// {"error":{"code":"...","message":"..."}} in one place, writeError in errors.go.
//
// Caveats:
//   - A project key that is not stored for the installation gets 404 before any permission
//     check, so a viewer can learn whether a key has been synced, though never its data.
//     Numeric project ids are always checked first.
//   - Uninstall deletes the installation's data through Config.DeleteInstallation. Only a
//     deleter that first stops a running recompute, as the recompute package's does, keeps
//     that recompute from writing data back.
package server
