package console

import (
	"strconv"

	"github.com/valyala/fasthttp"
)

// HotKeys supplies the hot keys page: the top keys of a table's (or
// GSI's) contributor insights rules, as the storage node counts them
// (store.Node.TopContributors, adapted in cmd/dynax).
type HotKeys interface {
	HotKeys(table, index string, n int) (*HotKeyReport, error)
}

// HotKeyReport is what the page shows of one table or GSI.
type HotKeyReport struct {
	// Table and Index name the target; Status and Mode are
	// DescribeContributorInsights'.
	Table, Index, Status, Mode string
	// Rules are the contributor insights rules, each with its top keys.
	Rules []HotKeyRule
}

// HotKeyRule is one rule: its name, its kind (PKC, SKC, PKT, SKT) and
// its top keys.
type HotKeyRule struct {
	Name, Kind string
	Keys       []HotKey
}

// HotKey is a key (DynamoDB JSON of its key attributes) and its count.
type HotKey struct {
	Key   string
	Count uint64
}

// hotKeysTop is how many keys of each rule the page shows.
const hotKeysTop = 10

func init() {
	pageNames["/hotkeys"] = "hotkeys"
	titles["hotkeys"] = "Hot keys"
}

// hotKeysView is the data of the page's polled fragment.
type hotKeysView struct {
	HasSource   bool
	Table       string
	Err         string
	Report      *HotKeyReport
	KindCaption map[string]string
}

var hotKeyKinds = map[string]string{
	"PKC": "Most accessed partition keys",
	"SKC": "Most accessed items (partition and sort key)",
	"PKT": "Most throttled partition keys",
	"SKT": "Most throttled items (partition and sort key)",
}

// serveHotKeys renders the fragment of /console/api/hotkeys?table=T&index=I.
func (c *Console) serveHotKeys(ctx *fasthttp.RequestCtx) {
	args := ctx.QueryArgs()
	v := hotKeysView{HasSource: c.opts.HotKeys != nil, Table: string(args.Peek("table")), KindCaption: hotKeyKinds}
	if v.HasSource && v.Table != "" {
		r, err := c.opts.HotKeys.HotKeys(v.Table, string(args.Peek("index")), hotKeysTop)
		if err != nil {
			v.Err = "No table " + strconv.Quote(v.Table) + " or no such global secondary index of it."
		}
		v.Report = r
	}
	ctx.SetContentType("text/html; charset=utf-8")
	if err := c.pages["hotkeys"].ExecuteTemplate(ctx, "hotkeys-live", v); err != nil {
		c.opts.Logger.Error("console fragment", "name", "hotkeys", "err", err)
	}
}
