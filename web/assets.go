// Package web holds the dashboard gadget's Custom UI: the page that Jira shows in a dashboard
// gadget (and the dev server shows at /), built from web/src into web/dist by esbuild.
//
// The built files are committed, so the Go build needs no Node. CI rebuilds them and fails when
// they differ from the commit ("npm run check" in web/).
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed dist
var dist embed.FS

// ContentSecurityPolicy is the policy the gadget page must work under. It is at least as strict as
// the one Forge applies to Custom UI: scripts and styles only from the app's own files (plus
// inline styles, which the manifest allows), no outbound connections and no framing by others.
// The dev server sends it as a header so local runs catch a violation before Jira does.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; base-uri 'none'; " +
	"form-action 'none'; object-src 'none'; frame-ancestors 'self'"

// Assets returns the built gadget page: index.html at the root, with main.js, gadget.css and chunks/.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only on an invalid path, and "dist" is a constant valid one.
		panic(err)
	}
	return sub
}

// Handler serves Assets with ContentSecurityPolicy as a header. Mount it at the path the page is
// served from, such as "/" in dev mode.
func Handler() http.Handler {
	files := http.FileServerFS(Assets())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := w.Header()
		header.Set("Content-Security-Policy", ContentSecurityPolicy)
		header.Set("X-Content-Type-Options", "nosniff")
		header.Set("Referrer-Policy", "no-referrer")
		header.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
