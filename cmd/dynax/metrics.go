package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/proxy"
	"github.com/dynax/dynax/store"
)

// withStoreMetrics serves GET /metrics with node's metrics (docs/metrics.md:
// CloudWatch's DynamoDB names, the engine's figures, replication to peer
// Regions), and everything else with h.
func withStoreMetrics(node *store.Node, h fasthttp.RequestHandler) fasthttp.RequestHandler {
	g := node.Metrics()
	return func(ctx *fasthttp.RequestCtx) {
		if !ctx.IsGet() || string(ctx.Path()) != "/metrics" {
			h(ctx)
			return
		}
		serveMetrics(ctx, g)
	}
}

// serveMetrics answers with what g gathers, in the Prometheus text format.
func serveMetrics(ctx *fasthttp.RequestCtx, g prometheus.Gatherer) {
	ctx.SetContentType(store.ContentTypeText)
	if err := store.WriteMetricsText(ctx, g); err != nil {
		ctx.ResetBody()
		ctx.Error("metrics: "+err.Error(), fasthttp.StatusInternalServerError)
	}
}

// withServeMetrics serves GET /metrics with the proxy's metrics followed
// by its in-process node's (distinct names: DAX's, then CloudWatch's
// DynamoDB ones), so one endpoint shows the cache and the tables; h
// serves the rest.
func withServeMetrics(p *proxy.Proxy, node *store.Node, h fasthttp.RequestHandler) fasthttp.RequestHandler {
	g := node.Metrics()
	return func(ctx *fasthttp.RequestCtx) {
		if !ctx.IsGet() || string(ctx.Path()) != "/metrics" {
			h(ctx)
			return
		}
		ctx.SetContentType(store.ContentTypeText)
		ctx.SetBody(p.AppendMetrics(make([]byte, 0, 16<<10)))
		if err := store.WriteMetricsText(ctx, g); err != nil {
			ctx.ResetBody()
			ctx.Error("metrics: "+err.Error(), fasthttp.StatusInternalServerError)
		}
	}
}
