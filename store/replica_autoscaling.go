package store

// DescribeTableReplicaAutoScaling and UpdateTableReplicaAutoScaling: the
// auto scaling view of a global table's replicas. dynax answers them as
// DynamoDB does where that is known (ack-api-quirks' probes, 2026-10): a
// table that is not a global table (or does not exist) is
// ResourceNotFoundException "Global table with name: 'T' does not exist.";
// an on-demand global table refuses every setting but AutoScalingDisabled
// with DynamoDB's ValidationException naming the replicas. Scaling itself
// is Application Auto Scaling's (package autoscaling); these calls keep no
// settings of their own, so replicas describe as never configured
// ({AutoScalingDisabled: true, ScalingPolicies: []}) on a provisioned
// table and without settings on an on-demand one. Documented in
// docs/compatibility.md.

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/model"
	"github.com/dynax/dynax/ddb/wire"
)

func init() {
	register("DescribeTableReplicaAutoScaling", opDescribeTableReplicaAutoScaling)
	register("UpdateTableReplicaAutoScaling", opUpdateTableReplicaAutoScaling)
}

type autoScalingUpdateIn struct {
	AutoScalingDisabled *bool           `json:"AutoScalingDisabled"`
	MinimumUnits        *int64          `json:"MinimumUnits"`
	MaximumUnits        *int64          `json:"MaximumUnits"`
	AutoScalingRoleArn  *string         `json:"AutoScalingRoleArn"`
	ScalingPolicyUpdate json.RawMessage `json:"ScalingPolicyUpdate"`
}

// sets reports whether u asks for anything but disabling auto scaling.
func (u *autoScalingUpdateIn) sets() bool {
	return u != nil && (u.MinimumUnits != nil || u.MaximumUnits != nil || u.AutoScalingRoleArn != nil || u.ScalingPolicyUpdate != nil ||
		(u.AutoScalingDisabled != nil && !*u.AutoScalingDisabled))
}

type updateReplicaAutoScalingIn struct {
	TableName                                 *string              `json:"TableName"`
	ProvisionedWriteCapacityAutoScalingUpdate *autoScalingUpdateIn `json:"ProvisionedWriteCapacityAutoScalingUpdate"`
	GlobalSecondaryIndexUpdates               []struct {
		IndexName                                 *string              `json:"IndexName"`
		ProvisionedWriteCapacityAutoScalingUpdate *autoScalingUpdateIn `json:"ProvisionedWriteCapacityAutoScalingUpdate"`
	} `json:"GlobalSecondaryIndexUpdates"`
	ReplicaUpdates []struct {
		RegionName                                      *string              `json:"RegionName"`
		ReplicaProvisionedReadCapacityAutoScalingUpdate *autoScalingUpdateIn `json:"ReplicaProvisionedReadCapacityAutoScalingUpdate"`
		ReplicaGlobalSecondaryIndexUpdates              []struct {
			IndexName                                *string              `json:"IndexName"`
			ProvisionedReadCapacityAutoScalingUpdate *autoScalingUpdateIn `json:"ProvisionedReadCapacityAutoScalingUpdate"`
		} `json:"ReplicaGlobalSecondaryIndexUpdates"`
	} `json:"ReplicaUpdates"`
}

// globalTableFor resolves the TableName of the replica auto scaling calls:
// only a global table answers.
func (n *Node) globalTableFor(name string) (*Table, error) {
	resolved := n.resolveTableName(name)
	t, ok := n.cat.get(resolved)
	if !ok || len(t.Desc.Replicas) == 0 {
		return nil, ddb.ResourceNotFound("Global table with name: '" + resolved + "' does not exist.")
	}
	return t, nil
}

func opDescribeTableReplicaAutoScaling(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in tableNameIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	if err := model.Constraints(req.Operation, req.Body); err != nil {
		return nil, err
	}
	t, err := n.globalTableFor(*in.TableName)
	if err != nil {
		return nil, err
	}
	return n.tableAutoScalingJSON(t), nil
}

func opUpdateTableReplicaAutoScaling(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in updateReplicaAutoScalingIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	if err := model.Constraints(req.Operation, req.Body); err != nil {
		return nil, err
	}
	t, err := n.globalTableFor(*in.TableName)
	if err != nil {
		return nil, err
	}
	if t.PayPerRequest() {
		param := ""
		switch {
		case in.ProvisionedWriteCapacityAutoScalingUpdate.sets():
			param = "GlobalTableProvisionedWriteCapacityAutoScalingSettingsUpdate"
		default:
			for _, g := range in.GlobalSecondaryIndexUpdates {
				if g.ProvisionedWriteCapacityAutoScalingUpdate.sets() {
					param = "GlobalTableGlobalSecondaryIndexProvisionedWriteCapacityAutoScalingSettingsUpdate"
				}
			}
			for _, r := range in.ReplicaUpdates {
				if r.ReplicaProvisionedReadCapacityAutoScalingUpdate.sets() {
					param = "ReplicaProvisionedReadCapacityAutoScalingSettingsUpdate"
				}
				for _, g := range r.ReplicaGlobalSecondaryIndexUpdates {
					if g.ProvisionedReadCapacityAutoScalingUpdate.sets() {
						param = "ReplicaGlobalSecondaryIndexProvisionedReadCapacityAutoScalingSettingsUpdate"
					}
				}
			}
		}
		if param != "" {
			regions := make([]string, 0, len(t.Desc.Replicas))
			for _, r := range t.Desc.Replicas {
				regions = append(regions, "'"+strings.ToUpper(r.Region)+"'")
			}
			slices.Sort(regions)
			return nil, ddb.Validation("Failed to update global table with name \u2018" + t.Name + "\u2018. Replicas " + strings.Join(regions, ", ") +
				" BillingMode is PayPerRequest. You must convert table's BillingMode to PROVISIONED to set parameters: '" + param + "'.")
		}
	}
	for _, r := range in.ReplicaUpdates {
		if r.RegionName != nil && !slices.ContainsFunc(t.Desc.Replicas, func(s ReplicaState) bool { return s.Region == *r.RegionName }) {
			return nil, ddb.Validation("Update global table operation failed because one or more replicas were not part of the global table. Please retry the request without these replicas: [" + *r.RegionName + "].")
		}
	}
	return n.tableAutoScalingJSON(t), nil
}

// tableAutoScalingJSON is the TableAutoScalingDescription of global table t.
func (n *Node) tableAutoScalingJSON(t *Table) []byte {
	now := n.opts.Now()
	const never = `{"AutoScalingDisabled":true,"ScalingPolicies":[]}`
	provisioned := !t.PayPerRequest()
	o := newItemOut(256)
	o.field("TableAutoScalingDescription")
	o.b = append(o.b, `{"TableName":`...)
	o.b = ddb.AppendString(o.b, t.Name)
	o.b = append(o.b, `,"TableStatus":`...)
	o.b = ddb.AppendString(o.b, t.TableStatus(now))
	o.b = append(o.b, `,"Replicas":[`...)
	for i, r := range t.Desc.Replicas {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = append(o.b, `{"RegionName":`...)
		o.b = ddb.AppendString(o.b, r.Region)
		o.b = append(o.b, `,"GlobalSecondaryIndexes":[`...)
		for j := range t.Desc.GlobalIndexes {
			g := &t.Desc.GlobalIndexes[j]
			if j > 0 {
				o.b = append(o.b, ',')
			}
			o.b = append(o.b, `{"IndexName":`...)
			o.b = ddb.AppendString(o.b, g.IndexName)
			o.b = append(o.b, `,"IndexStatus":`...)
			o.b = ddb.AppendString(o.b, t.IndexStatus(g, now))
			if provisioned {
				o.b = append(o.b, `,"ProvisionedReadCapacityAutoScalingSettings":`+never+`,"ProvisionedWriteCapacityAutoScalingSettings":`+never...)
			}
			o.b = append(o.b, '}')
		}
		o.b = append(o.b, ']')
		if provisioned {
			o.b = append(o.b, `,"ReplicaProvisionedReadCapacityAutoScalingSettings":`+never+`,"ReplicaProvisionedWriteCapacityAutoScalingSettings":`+never...)
		}
		o.b = append(o.b, `,"ReplicaStatus":`...)
		o.b = ddb.AppendString(o.b, r.Status)
		o.b = append(o.b, '}')
	}
	o.b = append(o.b, "]}"...)
	return o.done()
}
