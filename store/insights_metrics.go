package store

import (
	"github.com/prometheus/client_golang/prometheus"
)

// ciMetricsTop is how many keys of each rule GET /metrics shows.
const ciMetricsTop = 10

var descCITopKey = desc("ContributorInsightsTopKey",
	"Requests counted for each of the top 10 keys of every enabled contributor insights rule (Rule PKC/SKC: most accessed partition keys/items, PKT/SKT: most throttled), since the rule was created or the node started; Key is the key in DynamoDB JSON. GET /contributor-insights serves the same counts as JSON.",
	labelTable, labelIndex, "Rule", "Key")

// insightsCollector reads the top keys of the enabled contributor
// insights rules at scrape time (nothing when none is enabled).
type insightsCollector struct{ n *Node }

func (insightsCollector) Describe(chan<- *prometheus.Desc) {}

func (c insightsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, name := range c.n.cat.names() {
		t, ok := c.n.cat.get(name)
		if !ok || t.ci == nil {
			continue
		}
		for _, ct := range t.ci.all() {
			for _, kind := range ciRuleKinds(ct.state.Mode, len(ct.rng) > 0) {
				tr := ct.ruleByKind[kind]
				tr.Collect()
				for _, e := range tr.Top(ciMetricsTop) {
					ch <- prometheus.MustNewConstMetric(descCITopKey, prometheus.GaugeValue, float64(e.Count), t.Name, ct.index, kind, e.Key)
				}
			}
		}
	}
}
