// Package autoscaling is Application Auto Scaling for DynamoDB targets:
// the API (target prefix AnyScaleFrontendService, AWS JSON 1.1) that the
// AWS CLI's application-autoscaling commands and the SDKs' client speak —
// RegisterScalableTarget, DeregisterScalableTarget,
// DescribeScalableTargets, PutScalingPolicy, DescribeScalingPolicies,
// DeleteScalingPolicy and DescribeScalingActivities — and the scaler
// that follows target-tracking policies.
//
// The package knows no storage engine. It reads consumed and provisioned
// capacity through Options.Usage and changes provisioned throughput with
// UpdateTable calls on Options.DynamoDB (any wire.Handler that serves
// DynamoDB), so the node's own rules — decrease limits above all — apply
// to the scaler exactly as to any caller.
//
// Targets, policies and activities are kept in one JSON file in
// Options.Dir, replaced atomically (write, sync, rename, sync the
// directory) before a call that changed them is answered.
package autoscaling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// Usage is one provisioned table's or global secondary index's capacity.
type Usage struct {
	// Table is the table name; Index the GSI's name ("" for the table).
	Table, Index string
	// OnDemand tells a PAY_PER_REQUEST table (or an index of one).
	OnDemand bool
	// ProvisionedRead and ProvisionedWrite are the current provisioned
	// capacity units.
	ProvisionedRead, ProvisionedWrite int64
	// ConsumedRead and ConsumedWrite are the capacity units consumed since
	// the node started (monotonic totals: the scaler differentiates them).
	ConsumedRead, ConsumedWrite float64
}

// Options configures a Service. The zero value of every field but Dir,
// Usage and DynamoDB selects its default.
type Options struct {
	// Dir is the directory of the state file (autoscaling.json). Required.
	Dir string
	// Usage returns the figures of every table and GSI. Required.
	Usage func() []Usage
	// DynamoDB serves the UpdateTable calls that set provisioned
	// throughput. Required.
	DynamoDB wire.Handler
	// Period is how long one minute of the scaler lasts: CloudWatch's
	// one-minute data points, the alarms' evaluation periods and the
	// policies' cooldowns are all counted in it. Default time.Minute;
	// tests and experiments compress it.
	Period time.Duration
	// Account is the AWS account id in ARNs. Default "000000000000".
	Account string
	// Region names the Region in ARNs when a request's credential scope
	// gives none. Default "us-east-1".
	Region string
	// Logger receives the scaler's logs. Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// stateFile is the name of the persisted state in Options.Dir.
const stateFile = "autoscaling.json"

// Service serves the Application Auto Scaling API and runs the scaler.
// It implements wire.Handler for the prefix wire.PrefixAutoScaling.
type Service struct {
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	st    state
	watch map[string]*watch // per target key: samples and alarm counters

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// Open loads the state in opts.Dir (creating the directory if needed)
// and starts the scaler.
func Open(opts Options) (*Service, error) {
	if opts.Dir == "" || opts.Usage == nil || opts.DynamoDB == nil {
		return nil, errors.New("autoscaling: Options.Dir, Usage and DynamoDB are required")
	}
	if opts.Period < 0 {
		return nil, errors.New("autoscaling: Options.Period must not be negative")
	}
	if opts.Period == 0 {
		opts.Period = time.Minute
	}
	if opts.Account == "" {
		opts.Account = "000000000000"
	}
	if opts.Region == "" {
		opts.Region = wire.DefaultRegion
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("autoscaling: %w", err)
	}
	s := &Service{opts: opts, log: opts.Logger, watch: map[string]*watch{},
		stop: make(chan struct{}), done: make(chan struct{})}
	st, err := loadState(filepath.Join(opts.Dir, stateFile))
	if err != nil {
		return nil, fmt.Errorf("autoscaling: load %s: %w", stateFile, err)
	}
	s.st = st
	go s.run()
	return s, nil
}

// Close stops the scaler, waiting for a tick in progress. The state is
// already on disk.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
	})
	return nil
}

// opFunc runs one operation on its JSON body.
type opFunc func(s *Service, ctx context.Context, req *wire.Request) (any, error)

var ops = map[string]opFunc{
	"RegisterScalableTarget":    (*Service).registerScalableTarget,
	"DeregisterScalableTarget":  (*Service).deregisterScalableTarget,
	"DescribeScalableTargets":   (*Service).describeScalableTargets,
	"PutScalingPolicy":          (*Service).putScalingPolicy,
	"DescribeScalingPolicies":   (*Service).describeScalingPolicies,
	"DeleteScalingPolicy":       (*Service).deleteScalingPolicy,
	"DescribeScalingActivities": (*Service).describeScalingActivities,
}

// Operations lists the operations the service serves.
func Operations() []string {
	names := make([]string, 0, len(ops))
	for k := range ops {
		names = append(names, k)
	}
	return names
}

// Known implements wire.Handler.
func (s *Service) Known(prefix, op string) bool {
	_, ok := ops[op]
	return ok && prefix == wire.PrefixAutoScaling
}

// ServeDynamoDB implements wire.Handler: it runs one Application Auto
// Scaling operation.
func (s *Service) ServeDynamoDB(ctx context.Context, req *wire.Request) (out []byte, err error) {
	fn, ok := ops[req.Operation]
	if !ok || req.Prefix != wire.PrefixAutoScaling {
		return nil, ddb.UnknownOperation()
	}
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in operation", "op", req.Operation, "panic", r)
			out, err = nil, internalError()
		}
	}()
	res, err := fn(s, ctx, req)
	if err != nil {
		return nil, err
	}
	return marshal(res)
}

// region is the Region of a request's ARNs.
func (s *Service) region(req *wire.Request) string {
	if req.Region != "" {
		return req.Region
	}
	return s.opts.Region
}
