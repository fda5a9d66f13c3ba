package store

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/ddb"
)

// InsightsPath is where a node's listener serves the top contributors of
// contributor insights (InsightsHandler):
//
//	GET /contributor-insights?table=T[&index=I][&n=10]
//
// answers 200 with Contributors as JSON; a missing table parameter or a
// bad n is 400, an unknown table or index 404, each with {"message": …}.
const InsightsPath = "/contributor-insights"

// Contributors are the top keys of the contributor insights rules of a
// table or GSI, as GET /contributor-insights serves them.
type Contributors struct {
	TableName string `json:"TableName"`
	IndexName string `json:"IndexName,omitempty"`
	// Status and Mode are DescribeContributorInsights'.
	Status string `json:"ContributorInsightsStatus"`
	Mode   string `json:"ContributorInsightsMode,omitempty"`
	// Rules are the rules of ContributorInsightsRuleList, in its order;
	// empty when insights is not enabled (or FAILED).
	Rules []RuleContributors `json:"Rules"`
}

// RuleContributors are the top keys of one rule.
type RuleContributors struct {
	// RuleName is the rule's name in ContributorInsightsRuleList.
	RuleName string `json:"RuleName"`
	// Kind is PKC (most accessed partition keys), SKC (most accessed
	// items: partition and sort key), PKT or SKT (most throttled).
	Kind string `json:"Kind"`
	// Since is when counting began (Unix seconds): when the rule was
	// created or the node started, whichever is later.
	Since float64 `json:"Since"`
	// Contributors are the keys with the most requests, most first.
	Contributors []Contributor `json:"Contributors"`
}

// Contributor is one key and its count.
type Contributor struct {
	// Key holds the key attributes in DynamoDB JSON.
	Key json.RawMessage `json:"Key"`
	// Count is the number of requests (an estimate that is never below
	// the true count; see internal/hotkeys).
	Count uint64 `json:"Count"`
}

// ErrInsightsNotFound is returned by TopContributors for an unknown table
// or index.
var ErrInsightsNotFound = errors.New("store: no such table or index")

// TopContributors returns the top k keys of each contributor insights
// rule of table (name or ARN) or, when index is not "", of its GSI index.
func (n *Node) TopContributors(table, index string, k int) (*Contributors, error) {
	t, ok := n.cat.get(n.resolveTableName(table))
	if !ok {
		return nil, ErrInsightsNotFound
	}
	tg, err := t.ciTarget(index)
	if err != nil {
		return nil, ErrInsightsNotFound
	}
	out := &Contributors{TableName: t.Name, IndexName: index, Rules: []RuleContributors{},
		Status: tg.state.status(n.opts.Now(), n.opts.CreateDelay)}
	if tg.state != nil {
		out.Mode = tg.state.Mode
	}
	var ct *ciTracked
	if t.ci != nil {
		ct = t.ci.table
		if index != "" {
			ct = t.ci.gsi[index]
		}
	}
	if ct == nil {
		return out, nil
	}
	for i, kind := range ciRuleKinds(ct.state.Mode, len(ct.rng) > 0) {
		tr := ct.ruleByKind[kind]
		tr.Collect()
		since := tr.Since()
		if created := time.UnixMilli(ct.state.Stamp); created.After(since) {
			since = created
		}
		rc := RuleContributors{RuleName: ct.rules[i], Kind: kind, Since: unixSeconds(since), Contributors: []Contributor{}}
		for _, e := range tr.Top(k) {
			rc.Contributors = append(rc.Contributors, Contributor{Key: json.RawMessage(e.Key), Count: e.Count})
		}
		out.Rules = append(out.Rules, rc)
	}
	return out, nil
}

// InsightsHandler serves GET InsightsPath from node and passes every
// other request to next.
func InsightsHandler(node *Node, next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if !ctx.IsGet() || string(ctx.Path()) != InsightsPath {
			next(ctx)
			return
		}
		node.serveInsights(ctx)
	}
}

func (n *Node) serveInsights(ctx *fasthttp.RequestCtx) {
	args := ctx.QueryArgs()
	table := string(args.Peek("table"))
	if table == "" {
		insightsError(ctx, 400, "the table parameter is required")
		return
	}
	k := 10
	if s := args.Peek("n"); len(s) > 0 {
		v, err := strconv.Atoi(string(s))
		if err != nil || v < 1 || v > ciTopK {
			insightsError(ctx, 400, "n must be a whole number from 1 to "+strconv.Itoa(ciTopK))
			return
		}
		k = v
	}
	out, err := n.TopContributors(table, string(args.Peek("index")), k)
	if err != nil {
		insightsError(ctx, 404, "no table "+strconv.Quote(table)+" or no such global secondary index of it")
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		insightsError(ctx, 500, err.Error())
		return
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

func insightsError(ctx *fasthttp.RequestCtx, status int, msg string) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(append(ddb.AppendString([]byte(`{"message":`), msg), '}'))
}
