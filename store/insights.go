package store

// Contributor Insights: UpdateContributorInsights,
// DescribeContributorInsights and ListContributorInsights, and the
// tracking of the most accessed and most throttled keys they switch on.
//
// The setting of the table and of each GSI is an InsightsState in the
// table's catalog record (TableExtra.Insights, GlobalIndex.Insights), so it
// survives restarts and goes away with its table or index. Its status
// follows DynamoDB's: an update answers ENABLING or DISABLING at once and
// Describe shows the settled ENABLED or DISABLED after Options.CreateDelay
// (at once by default); a mode change is a new ENABLE; ENABLE and DISABLE
// on a settled state of the same mode change nothing. An ENABLE that would
// take the node past CloudWatch's quota of 100 Contributor Insights rules
// per Region ends FAILED, with DynamoDB's FailureException.
//
// While a table or GSI is ENABLED (or ENABLING), its accesses and
// throttles are counted in heavy-hitter trackers (internal/hotkeys), one
// per rule DynamoDB would have created: PKC (most accessed partition
// keys), SKC (most accessed items, partition and sort key), PKT and SKT
// (the same for throttled requests); THROTTLED_KEYS mode keeps only PKT
// and SKT, a hash-only table or index only the PK rules. The trackers hang
// off the catalog's *Table (Table.ci), so the data plane pays one nil
// check when nothing is enabled. Counts are since the rule was created or
// the node started; GET /contributor-insights serves them (insights_http.go).

import (
	"context"
	"encoding/base64"
	"hash/maphash"
	"strconv"
	"strings"
	"time"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/model"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/internal/hotkeys"
)

func init() {
	register("UpdateContributorInsights", opUpdateContributorInsights)
	register("DescribeContributorInsights", opDescribeContributorInsights)
	register("ListContributorInsights", opListContributorInsights)
}

// Contributor Insights modes, statuses and limits.
const (
	ciModeAll       = "ACCESSED_AND_THROTTLED_KEYS"
	ciModeThrottled = "THROTTLED_KEYS"

	ciEnabling  = "ENABLING"
	ciEnabled   = "ENABLED"
	ciDisabling = "DISABLING"
	ciDisabled  = "DISABLED"
	ciFailed    = "FAILED"

	// ciRuleQuota is CloudWatch's default "Number of Contributor Insights
	// rules" per account and Region.
	ciRuleQuota = 100
	// ciTopK is how many keys each rule's tracker keeps.
	ciTopK = 100
	// ciCollectInterval is how often proposals are folded into the top
	// tables in the background (readers also fold before they read).
	ciCollectInterval = 250 * time.Millisecond
)

const (
	msgCINotActiveTable = "Table or Index is not in a valid state to update Key Access Insights: TableStatus must be ACTIVE to enable ContributorInsights."
	msgCINotActiveIndex = "Table or Index is not in a valid state to update Key Access Insights: IndexStatus must be ACTIVE to enable ContributorInsights."
	msgCILimit          = "Amazon CloudWatch Contributor Insights rule limit reached. Please disable Contributor Insights for other tables/indexes OR disable other CloudWatch Contributor Insights rules before retrying."
	msgCIBadToken       = "Invalid NextToken"
)

// InsightsState is the Contributor Insights setting of a table or GSI.
type InsightsState struct {
	// Enabled is the action last asked for.
	Enabled bool `json:"enabled"`
	// Mode is the ContributorInsightsMode.
	Mode string `json:"mode"`
	// Changed is the LastUpdateDateTime (Unix seconds); the status reads
	// ENABLING or DISABLING until Changed + Options.CreateDelay.
	Changed float64 `json:"changed"`
	// Stamp is the creation time of the rules (Unix milliseconds), the
	// suffix of their names; a mode change keeps it.
	Stamp int64 `json:"stamp,omitempty"`
	// Failed: the ENABLE would have passed the rule quota (FAILED).
	Failed bool `json:"failed,omitempty"`
}

// status returns the ContributorInsightsStatus of s (nil: never
// configured) at now.
func (s *InsightsState) status(now time.Time, delay time.Duration) string {
	if s == nil {
		return ciDisabled
	}
	settling := unixSeconds(now) < s.Changed+delay.Seconds()
	switch {
	case s.Enabled && settling:
		return ciEnabling
	case s.Enabled && s.Failed:
		return ciFailed
	case s.Enabled:
		return ciEnabled
	case settling:
		return ciDisabling
	}
	return ciDisabled
}

// tracking reports whether s has live rules.
func (s *InsightsState) tracking() bool { return s != nil && s.Enabled && !s.Failed }

// ciRuleKinds returns the rule kinds of a resource with or without a sort
// key in mode, in DynamoDB's order.
func ciRuleKinds(mode string, sorted bool) []string {
	switch {
	case mode == ciModeThrottled && sorted:
		return []string{"PKT", "SKT"}
	case mode == ciModeThrottled:
		return []string{"PKT"}
	case sorted:
		return []string{"PKC", "PKT", "SKC", "SKT"}
	}
	return []string{"PKC", "PKT"}
}

// ciRuleNames returns the ContributorInsightsRuleList of the table (index
// "") or GSI.
func ciRuleNames(table, index string, s *InsightsState, sorted bool) []string {
	res := table
	if index != "" {
		res += "-" + index
	}
	kinds := ciRuleKinds(s.Mode, sorted)
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = "DynamoDBContributorInsights-" + k + "-" + res + "-" + strconv.FormatInt(s.Stamp, 10)
	}
	return out
}

// ciTarget is the table (index "") or one GSI of t, as Contributor
// Insights sees it.
type ciTarget struct {
	index  string
	state  *InsightsState
	g      *GlobalIndex // nil for the table
	hash   []string     // key attribute names, partition then sort
	rng    []string
	sorted bool
}

// ciTargets returns the table and its GSIs, table first.
func (t *Table) ciTargets() []ciTarget {
	out := make([]ciTarget, 0, 1+len(t.Desc.GlobalIndexes))
	h, _ := t.HashKey()
	r, _ := t.RangeKey()
	tg := ciTarget{state: t.Desc.Insights, hash: []string{h}, sorted: r != ""}
	if r != "" {
		tg.rng = []string{r}
	}
	out = append(out, tg)
	for i := range t.Desc.GlobalIndexes {
		g := &t.Desc.GlobalIndexes[i]
		hk, rk := t.indexKeyParts(&g.IndexDef)
		gt := ciTarget{index: g.IndexName, state: g.Insights, g: g, sorted: len(rk) > 0}
		for _, k := range hk {
			gt.hash = append(gt.hash, k.name)
		}
		for _, k := range rk {
			gt.rng = append(gt.rng, k.name)
		}
		out = append(out, gt)
	}
	return out
}

// ciTarget finds the table (index "") or GSI called index; an LSI or an
// unknown name is DynamoDB's ResourceNotFoundException.
func (t *Table) ciTarget(index string) (ciTarget, error) {
	for _, tg := range t.ciTargets() {
		if tg.index == index {
			return tg, nil
		}
	}
	return ciTarget{}, ddb.ResourceNotFound("Requested resource not found: Index: " + index + " not found for table: " + t.Name)
}

// setInsights stores s as the state of the target called index of t (a
// private copy being modified).
func (t *Table) setInsights(index string, s *InsightsState) {
	if index == "" {
		t.Desc.Insights = s
		return
	}
	for i := range t.Desc.GlobalIndexes {
		if t.Desc.GlobalIndexes[i].IndexName == index {
			t.Desc.GlobalIndexes[i].Insights = s
		}
	}
}

type ciRequest struct {
	TableName                 *string `json:"TableName"`
	IndexName                 *string `json:"IndexName"`
	ContributorInsightsAction *string `json:"ContributorInsightsAction"`
	ContributorInsightsMode   *string `json:"ContributorInsightsMode"`
}

// decodeCI decodes and validates an Update or DescribeContributorInsights
// request against DynamoDB's model.
func decodeCI(req *wire.Request) (*ciRequest, error) {
	var in ciRequest
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	if err := model.Constraints(req.Operation, req.Body); err != nil {
		return nil, err
	}
	if in.TableName == nil {
		return nil, ddb.Validation(msgTableNameMissing)
	}
	return &in, nil
}

func opUpdateContributorInsights(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	in, err := decodeCI(req)
	if err != nil {
		return nil, err
	}
	t, err := n.lookupTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	index := ""
	if in.IndexName != nil {
		index = *in.IndexName
	}
	enable := *in.ContributorInsightsAction == "ENABLE"
	mode := ciModeAll
	if in.ContributorInsightsMode != nil {
		mode = *in.ContributorInsightsMode
	}
	var status, outMode string
	var opErr error
	err = n.cat.modify(t.Name, t.ID, func(nt *Table) bool {
		now := n.opts.Now()
		tg, err := nt.ciTarget(index)
		if err != nil {
			opErr = err
			return false
		}
		cur := tg.state
		st := cur.status(now, n.opts.CreateDelay)
		if cur != nil {
			outMode = cur.Mode
		}
		if !enable {
			if cur == nil || !cur.Enabled {
				status = st // already DISABLED or DISABLING: nothing to do
				return false
			}
			s := *cur
			s.Enabled, s.Changed = false, unixSeconds(now)
			nt.setInsights(index, &s)
			status = ciDisabling
			return true
		}
		if cur != nil && cur.Enabled && !cur.Failed && cur.Mode == mode {
			status = st // the same ENABLE again changes nothing
			return false
		}
		if nt.Status == statusCreating {
			opErr = ddb.Validation(msgCINotActiveTable)
			return false
		}
		if tg.g != nil && nt.IndexStatus(tg.g, now) == statusCreating {
			opErr = ddb.Validation(msgCINotActiveIndex)
			return false
		}
		s := InsightsState{Enabled: true, Mode: mode, Changed: unixSeconds(now), Stamp: now.UnixMilli()}
		if cur.tracking() {
			s.Stamp = cur.Stamp // a mode change keeps the rules' names
		}
		if n.ciRulesInUseLocked(nt.Name, index)+len(ciRuleKinds(mode, tg.sorted)) > ciRuleQuota {
			s.Failed = true
		}
		nt.setInsights(index, &s)
		status, outMode = ciEnabling, mode
		return true
	})
	if err == nil {
		err = opErr
	}
	if err != nil {
		return nil, err
	}
	o := newItemOut(160)
	o.field("TableName")
	o.b = ddb.AppendString(o.b, t.Name)
	if index != "" {
		o.field("IndexName")
		o.b = ddb.AppendString(o.b, index)
	}
	o.field("ContributorInsightsStatus")
	o.b = ddb.AppendString(o.b, status)
	if outMode != "" {
		o.field("ContributorInsightsMode")
		o.b = ddb.AppendString(o.b, outMode)
	}
	return o.done(), nil
}

// ciRulesInUseLocked counts the live rules of every table and GSI but the
// target (table, index). The caller holds the catalog's lock.
func (n *Node) ciRulesInUseLocked(table, index string) int {
	total := 0
	for _, t := range n.cat.tables {
		for _, tg := range t.ciTargets() {
			if (t.Name == table && tg.index == index) || !tg.state.tracking() {
				continue
			}
			total += len(ciRuleKinds(tg.state.Mode, tg.sorted))
		}
	}
	return total
}

func opDescribeContributorInsights(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	in, err := decodeCI(req)
	if err != nil {
		return nil, err
	}
	t, err := n.lookupTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	index := ""
	if in.IndexName != nil {
		index = *in.IndexName
	}
	tg, err := t.ciTarget(index)
	if err != nil {
		return nil, err
	}
	s := tg.state
	st := s.status(n.opts.Now(), n.opts.CreateDelay)
	o := newItemOut(256)
	o.field("TableName")
	o.b = ddb.AppendString(o.b, t.Name)
	if index != "" {
		o.field("IndexName")
		o.b = ddb.AppendString(o.b, index)
	}
	if s.tracking() {
		o.field("ContributorInsightsRuleList")
		o.b = append(o.b, '[')
		for i, r := range ciRuleNames(t.Name, index, s, tg.sorted) {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = ddb.AppendString(o.b, r)
		}
		o.b = append(o.b, ']')
	}
	o.field("ContributorInsightsStatus")
	o.b = ddb.AppendString(o.b, st)
	if s != nil {
		o.field("ContributorInsightsMode")
		o.b = ddb.AppendString(o.b, s.Mode)
		o.field("LastUpdateDateTime")
		o.b = strconv.AppendFloat(o.b, s.Changed, 'f', 3, 64)
		if s.Failed && (st == ciFailed || st == ciDisabling) {
			o.field("FailureException")
			o.b = append(o.b, `{"ExceptionName":"LimitExceededException","ExceptionDescription":`...)
			o.b = ddb.AppendString(o.b, msgCILimit)
			o.b = append(o.b, '}')
		}
	}
	return o.done(), nil
}

type listCIIn struct {
	TableName  *string `json:"TableName"`
	NextToken  *string `json:"NextToken"`
	MaxResults *int64  `json:"MaxResults"`
}

// ciSummary is one entry of ListContributorInsights.
type ciSummary struct {
	table, index, status, mode string
}

func opListContributorInsights(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in listCIIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	if err := model.Constraints(req.Operation, req.Body); err != nil {
		return nil, err
	}
	limit := 100
	if in.MaxResults != nil && *in.MaxResults > 0 {
		limit = int(*in.MaxResults)
	}
	var names []string
	if in.TableName != nil {
		t, err := n.lookupTable(*in.TableName)
		if err != nil {
			return nil, err
		}
		names = []string{t.Name}
	} else {
		names = n.cat.names()
	}
	// DISABLED entries are not listed; DISABLING and FAILED ones are.
	now := n.opts.Now()
	var all []ciSummary
	for _, name := range names {
		t, ok := n.cat.get(name)
		if !ok {
			continue
		}
		for _, tg := range t.ciTargets() {
			if st := tg.state.status(now, n.opts.CreateDelay); st != ciDisabled {
				all = append(all, ciSummary{table: t.Name, index: tg.index, status: st, mode: tg.state.Mode})
			}
		}
	}
	start := 0
	if in.NextToken != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil {
			return nil, ddb.Validation(msgCIBadToken)
		}
		table, index, _ := strings.Cut(string(raw), "\x00")
		start = len(all)
		for i, s := range all {
			if s.table > table || (s.table == table && s.index > index && index != "") ||
				(s.table == table && index == "" && s.index != "") {
				start = i
				break
			}
		}
	}
	end := min(len(all), start+limit)
	o := newItemOut(128)
	o.field("ContributorInsightsSummaries")
	o.b = append(o.b, '[')
	for i, s := range all[start:end] {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = append(o.b, `{"TableName":`...)
		o.b = ddb.AppendString(o.b, s.table)
		if s.index != "" {
			o.b = append(o.b, `,"IndexName":`...)
			o.b = ddb.AppendString(o.b, s.index)
		}
		o.b = append(o.b, `,"ContributorInsightsStatus":`...)
		o.b = ddb.AppendString(o.b, s.status)
		o.b = append(o.b, `,"ContributorInsightsMode":`...)
		o.b = ddb.AppendString(o.b, s.mode)
		o.b = append(o.b, '}')
	}
	o.b = append(o.b, ']')
	if end < len(all) {
		last := all[end-1]
		o.field("NextToken")
		o.b = ddb.AppendString(o.b, base64.RawURLEncoding.EncodeToString([]byte(last.table+"\x00"+last.index)))
	}
	return o.done(), nil
}

// ---------------------------------------------------------------------------
// Tracking

// ciSeed hashes keys for the trackers.
var ciSeed = maphash.MakeSeed()

// tableInsights are the trackers of a table's enabled targets. A Table's
// ci is nil when none is enabled.
type tableInsights struct {
	table *ciTracked            // nil: the table itself is not tracked
	gsi   map[string]*ciTracked // tracked GSIs by name
}

// ciTracked is one tracked table or GSI.
type ciTracked struct {
	state              InsightsState
	hash, rng          []string
	pkc, skc, pkt, skt *hotkeys.Tracker // nil when the mode or schema has no such rule
	rules              []string
	ruleByKind         map[string]*hotkeys.Tracker
	table, index       string
}

func newCITracked(t *Table, tg ciTarget) *ciTracked {
	ct := &ciTracked{state: *tg.state, hash: tg.hash, rng: tg.rng, table: t.Name, index: tg.index,
		ruleByKind: map[string]*hotkeys.Tracker{}}
	ct.rules = ciRuleNames(t.Name, tg.index, tg.state, tg.sorted)
	for _, k := range ciRuleKinds(tg.state.Mode, tg.sorted) {
		tr := hotkeys.New(hotkeys.Options{K: ciTopK})
		ct.ruleByKind[k] = tr
		switch k {
		case "PKC":
			ct.pkc = tr
		case "SKC":
			ct.skc = tr
		case "PKT":
			ct.pkt = tr
		case "SKT":
			ct.skt = tr
		}
	}
	return ct
}

// insightsFor returns the trackers of table t, reusing those of the
// previous version prev (nil) for targets whose setting is unchanged.
func insightsFor(prev, t *Table) *tableInsights {
	var old *tableInsights
	if prev != nil && prev.ID == t.ID {
		old = prev.ci
	}
	var ci *tableInsights
	for _, tg := range t.ciTargets() {
		if !tg.state.tracking() {
			continue
		}
		var ct *ciTracked
		if old != nil {
			p := old.table
			if tg.index != "" {
				p = old.gsi[tg.index]
			}
			if p != nil && p.state == *tg.state {
				ct = p
			}
		}
		if ct == nil {
			ct = newCITracked(t, tg)
		}
		if ci == nil {
			ci = &tableInsights{gsi: map[string]*ciTracked{}}
		}
		if tg.index == "" {
			ci.table = ct
		} else {
			ci.gsi[tg.index] = ct
		}
	}
	return ci
}

// count records one access (throttled=false) or throttle of the key of
// item (or key) it in ct's trackers. Items without the key attributes
// (a sparse GSI) are not counted.
func (ct *ciTracked) count(it ddb.Item, throttled bool) {
	pk, sk := ct.pkc, ct.skc
	if throttled {
		pk, sk = ct.pkt, ct.skt
	}
	if pk == nil {
		return
	}
	var buf [128]byte
	b := buf[:0]
	for _, name := range ct.hash {
		v, ok := it[name]
		if !ok {
			return
		}
		b = appendKeyValue(b, v)
	}
	h := maphash.Bytes(ciSeed, b)
	if pk.Count(h) {
		pk.Propose(h, ciKeyJSON(it, ct.hash, nil))
	}
	if sk == nil {
		return
	}
	for _, name := range ct.rng {
		v, ok := it[name]
		if !ok {
			return
		}
		b = appendKeyValue(b, v)
	}
	h = maphash.Bytes(ciSeed, b)
	if sk.Count(h) {
		sk.Propose(h, ciKeyJSON(it, ct.hash, ct.rng))
	}
}

// ciKeyJSON renders the key attributes of it as a DynamoDB JSON object.
func ciKeyJSON(it ddb.Item, hash, rng []string) string {
	b := make([]byte, 0, 64)
	b = append(b, '{')
	for i, name := range append(hash[:len(hash):len(hash)], rng...) {
		if i > 0 {
			b = append(b, ',')
		}
		b = ddb.AppendString(b, name)
		b = append(b, ':')
		b = ddb.AppendValue(b, it[name])
	}
	return string(append(b, '}'))
}

// accessed counts an access to the item (or key) it of the table.
func (ci *tableInsights) accessed(it ddb.Item) {
	if ci.table != nil {
		ci.table.count(it, false)
	}
}

// indexWrite counts a write of item it (its new image, or the old one
// of a delete) to each tracked GSI it is in.
func (ci *tableInsights) indexWrite(it ddb.Item) {
	if it == nil {
		return
	}
	for _, ct := range ci.gsi {
		ct.count(it, false)
	}
}

// InsightsThrottled counts a throttled request for the item (or key) it
// of table t, or of its GSI index when index is not "": the capacity
// checks call it when they refuse a request. It costs one nil check when
// contributor insights is off for the table.
func (n *Node) InsightsThrottled(t *Table, index string, it ddb.Item) {
	ci := t.ci
	if ci == nil {
		return
	}
	ct := ci.table
	if index != "" {
		ct = ci.gsi[index]
	}
	if ct != nil {
		ct.count(it, true)
	}
}

// collectInsights folds the trackers' proposals into their top tables
// (the background job).
func (n *Node) collectInsights() error {
	for _, name := range n.cat.names() {
		t, ok := n.cat.get(name)
		if !ok || t.ci == nil {
			continue
		}
		for _, ct := range t.ci.all() {
			for _, tr := range ct.ruleByKind {
				tr.Collect()
			}
		}
	}
	return nil
}

func (ci *tableInsights) all() []*ciTracked {
	out := make([]*ciTracked, 0, 1+len(ci.gsi))
	if ci.table != nil {
		out = append(out, ci.table)
	}
	for _, ct := range ci.gsi {
		out = append(out, ct)
	}
	return out
}

// queried counts a Query's partition: on the table, an access to its
// partition key; on a tracked GSI, one to the index partition.
func (ci *tableInsights) queried(tg *qsTarget, r *queryRequest) {
	ct := ci.table
	if tg.ix != nil {
		ct = ci.gsi[tg.ix.IndexName]
	}
	if ct == nil || ct.pkc == nil {
		return
	}
	key := make(ddb.Item, tg.nhash)
	for _, k := range tg.keys[:tg.nhash] {
		kc := r.cond(k.name)
		if kc == nil || kc.Op != "EQ" || len(kc.Values) == 0 {
			return
		}
		key[k.name] = kc.Values[0]
	}
	var buf [128]byte
	b := buf[:0]
	for _, name := range ct.hash {
		b = appendKeyValue(b, key[name])
	}
	h := maphash.Bytes(ciSeed, b)
	if ct.pkc.Count(h) {
		ct.pkc.Propose(h, ciKeyJSON(key, ct.hash, nil))
	}
}

// ciThrottled counts the item (or key) it of t as throttled when err is
// the throttling error of the capacity checks (capacity_enforce.go).
func (t *Table) ciThrottled(it ddb.Item, err error) {
	if t.ci == nil || t.ci.table == nil || err == nil {
		return
	}
	if de, ok := ddb.AsError(err); ok && (strings.HasSuffix(de.Type, "#ProvisionedThroughputExceededException") || strings.HasSuffix(de.Type, "#ThrottlingException")) {
		t.ci.table.count(it, true)
	}
}
