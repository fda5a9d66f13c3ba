package store

// Capacity limits of the control plane, applied to tables under
// enforcement (Options.Capacity "enforce" or the dynax:capacity tag):
//   - the per-table (and per-GSI) maximum of DescribeLimits, 40,000 read
//     and write units, and the account's 80,000 summed over provisioned
//     tables and GSIs, at CreateTable and UpdateTable;
//   - decreases of provisioned throughput: 4 at any time of a UTC day,
//     then one more whenever the last was an hour ago or more, at most 27
//     a day;
//   - switches from PROVISIONED to PAY_PER_REQUEST: 4 in any 24 hours.
//
// DynamoDB always applies them; dynax only under enforcement, so that
// tests that create big tables or flip modes many times keep working on a
// node that does not throttle (docs/capacity.md).

import (
	"fmt"
	"slices"
	"time"

	"github.com/dynax/dynax/ddb"
)

// Limits of the billing-mode switch and of decreases.
const (
	capPPRSwitchesPerDay  = 4
	capFreeDecreases      = 4
	capMaxDecreasesPerDay = 27
	// capAccountQuota is DescribeLimits' AccountMax{Read,Write}CapacityUnits.
	capAccountQuota = 80000
)

const msgCapRefer = "Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."

// capEnforced reports whether enforcement applies to t (for entries
// not, or not yet, in the catalog).
func (n *Node) capEnforced(t *Table) bool {
	on := n.opts.Capacity == CapacityEnforce
	for _, tg := range t.Tags {
		if tg.Key != nil && tg.Value != nil && *tg.Key == CapacityTagKey {
			switch *tg.Value {
			case CapacityEnforce:
				on = true
			case CapacityOff:
				on = false
			}
		}
	}
	return on
}

// capCheckCreate applies the per-table and account maxima to a new table.
func (n *Node) capCheckCreate(t *Table) error {
	if !n.capEnforced(t) || t.PayPerRequest() {
		return nil
	}
	if err := capCheckMaxima(t); err != nil {
		return err
	}
	return n.capCheckAccount(t, nil)
}

// capCheckMaxima checks t's and its GSIs' provisioned units against the
// per-table maximum.
func capCheckMaxima(t *Table) error {
	th := t.Desc.Throughput
	for _, u := range []struct {
		what string
		v    int64
	}{{"ReadCapacityUnits", th.Read}, {"WriteCapacityUnits", th.Write}} {
		if u.v > capTableQuota {
			return ddb.LimitExceeded(fmt.Sprintf("The requested %s, %d, is above the per table maximum for the account in %s. Per table maximum: %d. %s",
				u.what, u.v, t.Region, capTableQuota, msgCapRefer))
		}
	}
	for _, g := range t.Desc.GlobalIndexes {
		for _, u := range []struct {
			what string
			v    int64
		}{{"ReadCapacityUnits", g.Throughput.Read}, {"WriteCapacityUnits", g.Throughput.Write}} {
			if u.v > capTableQuota {
				return ddb.LimitExceeded(fmt.Sprintf("The requested %s for index %s, %d, is above the per index maximum for the account in %s. Per index maximum: %d. %s",
					u.what, g.IndexName, u.v, t.Region, capTableQuota, msgCapRefer))
			}
		}
	}
	return nil
}

// capProvisioned sums t's provisioned read and write units, GSIs included.
func capProvisioned(t *Table) (r, w int64) {
	if t.PayPerRequest() {
		return 0, 0
	}
	r, w = t.Desc.Throughput.Read, t.Desc.Throughput.Write
	for _, g := range t.Desc.GlobalIndexes {
		r += g.Throughput.Read
		w += g.Throughput.Write
	}
	return r, w
}

// capCheckAccount checks that the account's provisioned units, with nt
// in place of its current version cur (nil: a new table), stay within
// the account maximum.
func (n *Node) capCheckAccount(nt, cur *Table) error {
	var rr, rw int64
	for _, name := range n.cat.names() {
		t, ok := n.cat.get(name)
		if !ok || t.Region != nt.Region {
			continue
		}
		r, w := capProvisioned(t)
		rr, rw = rr+r, rw+w
	}
	var cr, cw int64
	if cur != nil {
		cr, cw = capProvisioned(cur)
	}
	nr, nw := capProvisioned(nt)
	for _, u := range []struct {
		what                     string
		reserved, current, asked int64
	}{{"ReadCapacityUnits", rr, cr, nr}, {"WriteCapacityUnits", rw, cw, nw}} {
		if u.asked > u.current && u.reserved-u.current+u.asked > capAccountQuota {
			return ddb.LimitExceeded(fmt.Sprintf("This request would have caused the %s limit to be exceeded for the account in %s. "+
				"Current %s reserved by the account: %d. Limit: %d. Requested: %d. %s",
				u.what, nt.Region, u.what, u.reserved, capAccountQuota, u.asked-u.current, msgCapRefer))
		}
	}
	return nil
}

// capCheckUpdate applies the limits to the checked capacity change cp of
// table nt (the catalog entry's copy, before the change), and records a
// switch to PAY_PER_REQUEST.
func (n *Node) capCheckUpdate(nt *Table, cp *capacityUpdate, now time.Time) error {
	d := &nt.Desc
	switching := cp.oldMode == billingProvisioned && cp.newMode == billingPayPerRequest
	secs := unixSeconds(now)
	var recent []float64
	for _, s := range d.PPRSwitches {
		if secs-s < 24*3600 {
			recent = append(recent, s)
		}
	}
	if !n.capEnforced(nt) {
		if switching {
			d.PPRSwitches = append(recent, secs)
		}
		return nil
	}
	if switching {
		if len(recent) >= capPPRSwitchesPerDay {
			last := time.Unix(0, int64(recent[len(recent)-1]*1e9)).UTC()
			next := time.Unix(0, int64(recent[0]*1e9)).UTC().Add(24 * time.Hour)
			return ddb.LimitExceeded(fmt.Sprintf("Subscriber limit exceeded: Update to PayPerRequest mode are limited to %d times in 1 day(s). "+
				"Last update at %s. Next update can be made at %s", capPPRSwitchesPerDay, javaDate(last), javaDate(next)))
		}
		d.PPRSwitches = append(slices.Clone(recent), secs)
	}
	if cp.newMode != billingProvisioned {
		return nil
	}
	if c := cp.table; c != nil && (*c.ReadCapacityUnits < d.Throughput.Read || *c.WriteCapacityUnits < d.Throughput.Write) {
		if err := capCheckDecrease(d.Throughput, now); err != nil {
			return err
		}
	}
	for name, c := range cp.indexes {
		g, ok := nt.GlobalIndex(name)
		if ok && (*c.ReadCapacityUnits < g.Throughput.Read || *c.WriteCapacityUnits < g.Throughput.Write) {
			if err := capCheckDecrease(g.Throughput, now); err != nil {
				return err
			}
		}
	}
	// The maxima, on the throughput after the change.
	after := *nt
	after.Desc = nt.Desc.clone()
	after.Desc.BillingMode = cp.newMode
	if c := cp.table; c != nil {
		after.Desc.Throughput.Read, after.Desc.Throughput.Write = *c.ReadCapacityUnits, *c.WriteCapacityUnits
	}
	for name, c := range cp.indexes {
		if g, ok := after.GlobalIndex(name); ok {
			g.Throughput.Read, g.Throughput.Write = *c.ReadCapacityUnits, *c.WriteCapacityUnits
		}
	}
	if err := capCheckMaxima(&after); err != nil {
		return err
	}
	cur, _ := n.cat.get(nt.Name)
	return n.capCheckAccount(&after, cur)
}

// capCheckDecrease refuses a decrease of th beyond the day's allowance.
func capCheckDecrease(th Throughput, now time.Time) error {
	count := int64(0)
	if th.DecreaseDay == now.UTC().Format(time.DateOnly) {
		count = th.Decreases
	}
	if count < capFreeDecreases {
		return nil
	}
	last := time.Unix(0, int64(th.LastDecrease*1e9)).UTC()
	next := last.Add(time.Hour)
	if count < capMaxDecreasesPerDay && !now.Before(next) {
		return nil
	}
	if count >= capMaxDecreasesPerDay {
		y, m, dd := now.UTC().Date()
		next = time.Date(y, m, dd+1, 0, 0, 0, 0, time.UTC)
	}
	return ddb.LimitExceeded(fmt.Sprintf("Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day. "+
		"After the first %d decreases, each subsequent decrease in the same UTC day can be performed at most once every 3600 seconds. "+
		"Number of decreases today: %d. Last decrease at %s. Next decrease can be made at %s",
		capFreeDecreases, count, javaFullDate(last), javaFullDate(next)))
}

// javaFullDate formats t as DynamoDB's decrease message does (Java's FULL
// date-time style): "Monday, February 13, 2023 at 10:25:39 AM Coordinated
// Universal Time".
func javaFullDate(t time.Time) string {
	return t.UTC().Format("Monday, January 2, 2006 at 3:04:05 PM") + " Coordinated Universal Time"
}

// javaDate formats t as java.util.Date.toString does in UTC: "Sat Feb 23
// 03:07:45 UTC 2019".
func javaDate(t time.Time) string {
	return t.UTC().Format("Mon Jan 02 15:04:05 UTC 2006")
}
