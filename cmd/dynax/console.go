package main

import (
	"context"
	"flag"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/cluster"
	"github.com/dynax/dynax/console"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/proxy"
	"github.com/dynax/dynax/store"
)

// consoleFlag is --console, shared by serve, store and proxy.
func consoleFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("console", true, "serve the web console at /console on the DynamoDB listeners (its pages call the DynamoDB API from the browser, signed, so they have the caller's rights)")
}

// newConsole returns the console of a node, nil when --console=false. p
// is the node's proxy (nil for a storage node alone), sn its storage node
// (nil for a proxy alone).
func newConsole(on bool, node string, sec *securityFlags, p *proxy.Proxy, cr *clusterRun, sn *store.Node) (*console.Console, error) {
	if !on {
		return nil, nil
	}
	opts := console.Options{Node: node, Auth: sec.mode}
	if sn != nil {
		opts.HotKeys = hotKeys{sn}
		opts.Store = sn.Metrics()
	}
	if p != nil {
		opts.Cache = p
	}
	if cr != nil && cr.node != nil {
		opts.Cluster = cr
	}
	return console.New(opts)
}

// hotKeys adapts a storage node's contributor insights counts to the
// console's hot keys page.
type hotKeys struct{ n *store.Node }

func (h hotKeys) HotKeys(table, index string, k int) (*console.HotKeyReport, error) {
	c, err := h.n.TopContributors(table, index, k)
	if err != nil {
		return nil, err
	}
	r := &console.HotKeyReport{Table: c.TableName, Index: c.IndexName, Status: c.Status, Mode: c.Mode}
	for _, rule := range c.Rules {
		hr := console.HotKeyRule{Name: rule.RuleName, Kind: rule.Kind}
		for _, k := range rule.Contributors {
			hr.Keys = append(hr.Keys, console.HotKey{Key: string(k.Key), Count: k.Count})
		}
		r.Rules = append(r.Rules, hr)
	}
	return r, nil
}

// Members implements console.Cluster with the cluster's status, as
// `dynax cluster status` reads it.
func (r *clusterRun) Members(ctx context.Context) ([]cluster.MemberStatus, error) {
	return cluster.Status(ctx, r.endpoints, r.prefix, r.name, 2*time.Second)
}

// mountConsole puts c in front of srv's handler (c nil: unchanged).
func mountConsole(c *console.Console, srv *fasthttp.Server) *fasthttp.Server {
	if c != nil {
		srv.Handler = c.Mount(srv.Handler)
	}
	return srv
}

// storeServer is the storage node's server for ws: the handlers of
// mounts (outermost last), GET /metrics serving the node's metrics, GET
// /contributor-insights its hot keys (store.InsightsHandler), c mounted
// when set.
func storeServer(ws *wire.Server, c *console.Console, node *store.Node, mounts ...func(fasthttp.RequestHandler) fasthttp.RequestHandler) server {
	h := ws.ServeFastHTTP
	for _, m := range mounts {
		h = m(h)
	}
	h = store.InsightsHandler(node, h)
	if c != nil {
		h = c.Mount(h)
	}
	return httpServer{ws.FastHTTP(withStoreMetrics(node, h))}
}

// httpServer is a fasthttp server that shuts down like wire.Server.
type httpServer struct{ *fasthttp.Server }

func (s httpServer) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), wire.ShutdownTimeout)
	defer cancel()
	return s.ShutdownWithContext(ctx)
}
