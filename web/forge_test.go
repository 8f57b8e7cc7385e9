package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeBridgeScript replaces the bridge Jira injects into a Custom UI iframe. It handles
// @forge/bridge's calls: "invoke" goes to the fixture backend with fetch (as Forge would send it
// to the remote), "getContext" returns a gadget context, "submit" records the configuration and
// "enableTheming" switches the page to Jira's dark mode. Every call is recorded in __bridgeCalls.
const fakeBridgeScript = `
window.__bridgeCalls = [];
window.__bridge = {
  callBridge: async (name, payload) => {
    window.__bridgeCalls.push({ name, payload: payload === undefined ? null : JSON.parse(JSON.stringify(payload)) });
    switch (name) {
      case 'invoke': {
        const response = await fetch(payload.path, { method: payload.method, headers: payload.headers, body: payload.body === undefined ? undefined : JSON.stringify(payload.body) });
        const text = await response.text();
        return { success: true, payload: { status: response.status, headers: {}, body: text ? JSON.parse(text) : undefined } };
      }
      case 'getContext':
        return %s;
      case 'enableTheming':
        document.documentElement.setAttribute('data-color-mode', 'dark');
        return undefined;
      default:
        return undefined;
    }
  },
};
`

// bridgeCall is one call the page made to the fake bridge.
type bridgeCall struct {
	Name    string          `json:"name"`
	Payload json.RawMessage `json:"payload"`
}

// openInForge opens the page with the fake bridge and the given Forge context.
func openInForge(t *testing.T, b *browser, base string, forgeContext map[string]any) {
	t.Helper()
	contextJSON, err := json.Marshal(forgeContext)
	require.NoError(t, err)
	script := fmt.Sprintf(fakeBridgeScript, contextJSON)
	b.do("install the fake Forge bridge", chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	}))
	b.do("open the page inside the fake Forge frame", chromedp.Navigate(base+"/"))
}

func TestForgeAdapterUsesTheBridge(t *testing.T) {
	site := newFixtureSite(t)

	t.Run("view calls invokeRemote and follows the dark theme", func(t *testing.T) {
		b := newBrowser(t)
		openInForge(t, b, site.URL(), map[string]any{
			"siteUrl": "http://127.0.0.1:1/jira-site",
			"extension": map[string]any{
				"gadgetConfiguration": map[string]any{"projects": []string{fixtureProjectEE}, "from": "2020-06-01", "to": "2020-08-01"},
			},
		})
		b.do("wait for the report", waitSettled())

		calls := evaluate[[]bridgeCall](b, "read the bridge calls", `window.__bridgeCalls`)
		var paths []string
		for _, call := range calls {
			if call.Name == "invoke" {
				var payload struct {
					Path   string `json:"path"`
					Method string `json:"method"`
				}
				require.NoError(t, json.Unmarshal(call.Payload, &payload))
				assert.Equal(t, "GET", payload.Method, "method of %s", payload.Path)
				paths = append(paths, payload.Path)
			}
		}
		assert.Contains(t, paths, "/forge/gadget/report?project="+fixtureProjectEE+"&from=2020-06-01&to=2020-08-01", "the report goes through invokeRemote")
		assert.Contains(t, paths, "/forge/gadget/report?project="+fixtureProjectEE+"&from=2020-04-01&to=2020-06-01", "so does the previous window")

		mode := evaluate[string](b, "read the colour mode", `document.documentElement.getAttribute('data-color-mode')`)
		assert.Equal(t, "dark", mode, "view.theme.enable() ran")
		background := evaluate[string](b, "read the background colour", `getComputedStyle(document.body).backgroundColor`)
		assert.Equal(t, "rgb(29, 33, 37)", background, "the page follows Jira's dark mode")
		edit := evaluate[int](b, "look for the local settings button", `document.querySelectorAll('#edit').length`)
		assert.Zero(t, edit, "inside Jira the dashboard frame offers the edit action, not the gadget")
		b.screenshot("forge-view-dark")
	})

	t.Run("edit view saves with view.submit", func(t *testing.T) {
		b := newBrowser(t)
		openInForge(t, b, site.URL(), map[string]any{
			"siteUrl":   "http://127.0.0.1:1/jira-site",
			"extension": map[string]any{"entryPoint": "edit"},
		})
		b.do("choose a project and save",
			chromedp.WaitVisible(chromedp.CSS(`#project-`+fixtureProjectK5)),
			chromedp.Click(chromedp.CSS(`#project-`+fixtureProjectK5)),
			chromedp.SetValue(chromedp.CSS(`#window`), "30"),
			chromedp.Click(chromedp.CSS(`#save`)),
			chromedp.Poll[chromedp.Void](`window.__bridgeCalls.some((c) => c.name === 'submit')`),
		)
		submitted := evaluate[map[string]any](b, "read the submitted configuration", `window.__bridgeCalls.find((c) => c.name === 'submit').payload`)
		assert.Equal(t, []any{fixtureProjectK5}, submitted["projects"], "projects")
		assert.Equal(t, float64(30), submitted["window"], "window in days")
		stored := evaluate[int](b, "count localStorage entries", `localStorage.length`)
		assert.Zero(t, stored, "inside Jira nothing is kept in localStorage")
		b.screenshot("forge-edit-dark")
	})
}
