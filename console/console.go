// Package console is dynax's web console: pages under /console that show
// and edit tables and items, tail streams, and chart the cache and the
// cluster, served by the same listeners as the DynamoDB API.
//
// The pages are server-rendered shells (html/template, embedded with the
// scripts and styles, no network fetches). Everything that reads or
// changes data is done by the page's script calling the DynamoDB API on
// the same origin — POST / with X-Amz-Target, SigV4-signed in the browser
// (static/sigv4.js) — so the console has exactly the caller's rights: with
// --auth sigv4 it asks for an access key and signs with it, with --auth off
// it signs with a placeholder key that the node accepts. The server side
// never reads or writes tables for the browser.
//
// What the API does not carry — the proxy's cache counters and the
// cluster's members — comes from read-only JSON and SVG sources under
// /console/api/, fed by snapshots (Cache, Cluster) that cost the request
// path nothing. Cache samples are taken when a page asks, at most one a
// second whatever the number of viewers, into a bounded ring (History), so
// the console's load is bounded and nothing runs while nobody watches.
//
// Mount puts the console in front of a listener's handler: only GET and
// HEAD requests whose path starts with /console are its own, so DynamoDB
// calls (POSTs) pass by after a method comparison.
package console

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Prefix is the path the console is served under.
const Prefix = "/console"

// ErrNoTemplate is returned by New when a page's template is missing (a
// build problem, not a runtime one).
var ErrNoTemplate = errors.New("console: missing template")

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure a Console.
type Options struct {
	// Node names what serves the console in the page header: "store",
	// "proxy" or "serve". Default "dynax".
	Node string
	// Auth is the listener's --auth mode: "off" (the console signs with a
	// placeholder key) or "sigv4" (it asks for an access key). Default
	// "off".
	Auth string
	// Region signs the console's calls. Default "us-east-1".
	Region string
	// Cache, when set, supplies the cache page's figures (a proxy). Default
	// nil: the cache page says the node runs no cache.
	Cache Cache
	// Cluster, when set, lists the cache cluster's members. Default nil:
	// the cluster page says the node is not in a cluster.
	Cluster Cluster
	// HotKeys, when set, supplies the hot keys page (hotkeys.go): a
	// storage node's contributor insights counts. Default nil: the page
	// says the node counts none.
	HotKeys HotKeys
	// Store, when set, supplies the store's metrics for the Metrics page's
	// per-table figures (a *store.Node's Metrics()), gathered only when
	// the page polls. Default nil: no store section.
	Store Gatherer
	// Logger receives template errors. Default slog.Default().
	Logger *slog.Logger
	// Now returns the time (tests). Default time.Now.
	Now func() time.Time
}

// Console serves the pages.
type Console struct {
	opts    Options
	pages   map[string]*template.Template
	frags   *template.Template
	hist    *History
	cluster clusterMemo
	static  fs.FS

	storeHist *storeHistory // nil without Options.Store
}

// pageNames are the pages, by path below Prefix ("" is the tables list).
var pageNames = map[string]string{
	"":          "tables",
	"/table":    "table",
	"/item":     "item",
	"/partiql":  "partiql",
	"/streams":  "streams",
	"/cache":    "cache",
	"/cluster":  "cluster",
	"/metrics":  "metrics",
	"/settings": "settings",
}

// New returns a Console.
func New(opts Options) (*Console, error) {
	if opts.Node == "" {
		opts.Node = "dynax"
	}
	if opts.Auth == "" {
		opts.Auth = "off"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Console{opts: opts, pages: map[string]*template.Template{}}
	layout, err := template.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	for _, name := range pageNames {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, errors.Join(ErrNoTemplate, err)
		}
		c.pages[name] = t
	}
	c.static, _ = fs.Sub(staticFS, "static")
	if c.frags, err = template.ParseFS(templateFS, "templates/fragments.html"); err != nil {
		return nil, errors.Join(ErrNoTemplate, err)
	}
	if opts.Cache != nil {
		c.hist = NewHistory(opts.Cache, HistoryOptions{Now: opts.Now})
	}
	if opts.Store != nil {
		c.storeHist = &storeHistory{src: opts.Store, now: opts.Now}
	}
	return c, nil
}

// Mount returns a handler serving the console's paths and passing every
// other request to next.
func (c *Console) Mount(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if (ctx.IsGet() || ctx.IsHead()) && isConsolePath(ctx.Path()) {
			c.ServeFastHTTP(ctx)
			return
		}
		next(ctx)
	}
}

// isConsolePath reports whether path is /console or below it.
func isConsolePath(path []byte) bool {
	rest, ok := bytes.CutPrefix(path, []byte(Prefix))
	return ok && (len(rest) == 0 || rest[0] == '/')
}

// pageData is what every template sees.
type pageData struct {
	Page, Title, Node, Auth, Region string
	HasCache, HasCluster            bool
	Query                           map[string]string
}

// ServeFastHTTP serves one console request.
func (c *Console) ServeFastHTTP(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	rest, ok := strings.CutPrefix(path, Prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		ctx.Error("Not Found", fasthttp.StatusNotFound)
		return
	}
	rest = strings.TrimSuffix(rest, "/")
	h := &ctx.Response.Header
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	switch {
	case strings.HasPrefix(rest, "/static/"):
		h.Set("Cache-Control", "no-cache")
		c.serveStatic(ctx, strings.TrimPrefix(rest, "/static/"))
		return
	case strings.HasPrefix(rest, "/api/"):
		c.serveAPI(ctx, strings.TrimPrefix(rest, "/api/"))
		return
	}
	name, ok := pageNames[rest]
	if !ok {
		ctx.Error("Not Found", fasthttp.StatusNotFound)
		return
	}
	q := map[string]string{}
	for k, v := range ctx.QueryArgs().All() {
		q[string(k)] = string(v)
	}
	d := pageData{Page: name, Title: titles[name], Node: c.opts.Node, Auth: c.opts.Auth, Region: c.opts.Region,
		HasCache: c.opts.Cache != nil, HasCluster: c.opts.Cluster != nil, Query: q}
	if name == "table" && q["name"] != "" {
		d.Title = q["name"]
	}
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	ctx.SetContentType("text/html; charset=utf-8")
	if err := c.pages[name].ExecuteTemplate(ctx, "layout", d); err != nil {
		c.opts.Logger.Error("console template", "page", name, "err", err)
	}
}

var titles = map[string]string{
	"tables": "Tables", "table": "Table", "item": "Item", "partiql": "PartiQL editor", "streams": "Streams",
	"cache": "Cache", "cluster": "Cluster", "metrics": "Metrics", "settings": "Credentials",
}

// serveStatic serves an embedded script or style sheet.
func (c *Console) serveStatic(ctx *fasthttp.RequestCtx, name string) {
	b, err := fs.ReadFile(c.static, name)
	if err != nil || name == "" {
		ctx.Error("Not Found", fasthttp.StatusNotFound)
		return
	}
	switch {
	case strings.HasSuffix(name, ".js"):
		ctx.SetContentType("text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".css"):
		ctx.SetContentType("text/css; charset=utf-8")
	default:
		ctx.SetContentType(http.DetectContentType(b))
	}
	ctx.SetBody(b)
}
