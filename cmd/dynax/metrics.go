package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

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
