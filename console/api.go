package console

import (
	"context"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/cluster"
	"github.com/dynax/dynax/proxy"
)

// Cache supplies the cache page's figures: a *proxy.Proxy.
type Cache interface {
	Stats() proxy.Stats
}

// Cluster lists the cache cluster's members (cluster.Status).
type Cluster interface {
	Members(ctx context.Context) ([]cluster.MemberStatus, error)
}

// serveAPI serves the read-only sources under /console/api/.
func (c *Console) serveAPI(ctx *fasthttp.RequestCtx, name string) {
	switch name {
	default:
		ctx.Error("Not Found", fasthttp.StatusNotFound)
	}
}
