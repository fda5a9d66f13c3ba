package autoscaling

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/dynax/dynax/ddb/wire"
)

// decode reads a request body into v: unknown members are ignored, a
// member of the wrong JSON kind is a SerializationException.
func decode(body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		return serialization()
	}
	if d.More() {
		return serialization()
	}
	return nil
}

// marshal renders a response.
func marshal(v any) ([]byte, error) { return json.Marshal(v) }

// epoch renders a time as AWS JSON's timestamp: seconds since the epoch.
type epoch float64

// The dimensions of DynamoDB and what they scale.
const (
	dimTableRead  = "dynamodb:table:ReadCapacityUnits"
	dimTableWrite = "dynamodb:table:WriteCapacityUnits"
	dimIndexRead  = "dynamodb:index:ReadCapacityUnits"
	dimIndexWrite = "dynamodb:index:WriteCapacityUnits"
)

// resource is a DynamoDB scalable resource: a table or a GSI, and one of
// its capacities.
type resource struct {
	table, index string
	write        bool
}

// unit names the capacity in activity texts.
func (r resource) unit() string {
	if r.write {
		return "write capacity units"
	}
	return "read capacity units"
}

// parseResource checks that namespace, resource id and dimension name a
// DynamoDB table's or index's capacity.
func parseResource(ns, id, dim string) (resource, error) {
	unsupported := validation("Unsupported service namespace, resource type or scalable dimension")
	if ns != "dynamodb" {
		return resource{}, unsupported
	}
	var r resource
	parts := strings.Split(id, "/")
	switch dim {
	case dimTableRead, dimTableWrite:
		if len(parts) != 2 || parts[0] != "table" || parts[1] == "" {
			return r, unsupported
		}
		r.table = parts[1]
	case dimIndexRead, dimIndexWrite:
		if len(parts) != 4 || parts[0] != "table" || parts[2] != "index" || parts[1] == "" || parts[3] == "" {
			return r, unsupported
		}
		r.table, r.index = parts[1], parts[3]
	default:
		return r, unsupported
	}
	r.write = dim == dimTableWrite || dim == dimIndexWrite
	return r, nil
}

// lookup finds a resource's usage figures.
func (s *Service) lookup(r resource) (Usage, bool) {
	for _, u := range s.opts.Usage() {
		if u.Table == r.table && u.Index == r.index {
			return u, true
		}
	}
	return Usage{}, false
}

// targetIn is the identity of a scalable target in a request.
type targetIn struct {
	ServiceNamespace  *string `json:"ServiceNamespace"`
	ResourceId        *string `json:"ResourceId"`
	ScalableDimension *string `json:"ScalableDimension"`
}

func (in *targetIn) check(c *constraints) {
	if c.required(in.ServiceNamespace, "serviceNamespace") {
		c.enum(in.ServiceNamespace, "serviceNamespace", serviceNamespaces)
	}
	c.resourceID(in.ResourceId, "resourceId", true)
	if c.required(in.ScalableDimension, "scalableDimension") {
		c.enum(in.ScalableDimension, "scalableDimension", scalableDimensions)
	}
}

func (in *targetIn) names() (ns, id, dim string) {
	return *in.ServiceNamespace, *in.ResourceId, *in.ScalableDimension
}

// roleARN is the service-linked role Application Auto Scaling uses for
// DynamoDB when a registration names none.
func (s *Service) roleARN() string {
	return "arn:aws:iam::" + s.opts.Account + ":role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"
}

func (s *Service) registerScalableTarget(ctx context.Context, req *wire.Request) (any, error) {
	var in struct {
		targetIn
		MinCapacity    *int64  `json:"MinCapacity"`
		MaxCapacity    *int64  `json:"MaxCapacity"`
		RoleARN        *string `json:"RoleARN"`
		SuspendedState *struct {
			DynamicScalingInSuspended  *bool `json:"DynamicScalingInSuspended"`
			DynamicScalingOutSuspended *bool `json:"DynamicScalingOutSuspended"`
			ScheduledScalingSuspended  *bool `json:"ScheduledScalingSuspended"`
		} `json:"SuspendedState"`
		Tags map[string]string `json:"Tags"`
	}
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c constraints
	in.check(&c)
	c.length(in.RoleARN, "roleARN", 1, 1600)
	c.xmlString(in.RoleARN, "roleARN")
	c.intRange(in.MinCapacity, "minCapacity", math.MinInt32, math.MaxInt32)
	c.intRange(in.MaxCapacity, "maxCapacity", math.MinInt32, math.MaxInt32)
	if err := c.err(); err != nil {
		return nil, err
	}
	ns, id, dim := in.names()
	r, err := parseResource(ns, id, dim)
	if err != nil {
		return nil, err
	}
	u, ok := s.lookup(r)
	if !ok {
		if r.index != "" {
			return nil, validation("DynamoDB index does not exist: %s", id)
		}
		return nil, validation("DynamoDB table does not exist: %s", id)
	}
	if u.OnDemand {
		return nil, validation("Scalable target cannot be registered for %s: its billing mode is PAY_PER_REQUEST", id)
	}

	s.mu.Lock()
	t := s.findTarget(ns, id, dim)
	isNew := t == nil
	if isNew {
		if in.MinCapacity == nil || in.MaxCapacity == nil {
			s.mu.Unlock()
			return nil, validation("MinCapacity and MaxCapacity are required to register a new scalable target")
		}
		t = &target{Namespace: ns, ResourceID: id, Dimension: dim, RoleARN: s.roleARN(), Created: s.opts.Now(),
			ARN: "arn:aws:application-autoscaling:" + s.region(req) + ":" + s.opts.Account + ":scalable-target/" + targetID()}
	}
	lo, hi := t.Min, t.Max
	if in.MinCapacity != nil {
		lo = *in.MinCapacity
	}
	if in.MaxCapacity != nil {
		hi = *in.MaxCapacity
	}
	if hi < lo {
		s.mu.Unlock()
		return nil, validation("Maximum capacity cannot be less than minimum capacity")
	}
	if lo < 1 {
		s.mu.Unlock()
		return nil, validation("Minimum capacity cannot be less than 1 for %s", dim)
	}
	old := *t
	t.Min, t.Max = lo, hi
	if in.RoleARN != nil {
		t.RoleARN = *in.RoleARN
	}
	if ss := in.SuspendedState; ss != nil {
		if ss.DynamicScalingInSuspended != nil {
			t.SuspendIn = *ss.DynamicScalingInSuspended
		}
		if ss.DynamicScalingOutSuspended != nil {
			t.SuspendOut = *ss.DynamicScalingOutSuspended
		}
		if ss.ScheduledScalingSuspended != nil {
			t.SuspendSch = *ss.ScheduledScalingSuspended
		}
	}
	if isNew {
		s.st.Targets = append(s.st.Targets, t)
	}
	if err := s.save(); err != nil {
		if isNew {
			s.st.Targets = s.st.Targets[:len(s.st.Targets)-1]
		} else {
			*t = old
		}
		s.mu.Unlock()
		return nil, err
	}
	arn := t.ARN
	s.mu.Unlock()

	// The resource's capacity is brought inside the new range at once, as
	// the service does after a registration.
	cur := u.ProvisionedRead
	if r.write {
		cur = u.ProvisionedWrite
	}
	switch {
	case cur < lo:
		s.setCapacity(ctx, ns, id, dim, r, lo, "minimum capacity was set to "+strconv.FormatInt(lo, 10))
	case cur > hi:
		s.setCapacity(ctx, ns, id, dim, r, hi, "maximum capacity was set to "+strconv.FormatInt(hi, 10))
	}
	return struct {
		ScalableTargetARN string `json:"ScalableTargetARN"`
	}{arn}, nil
}

func (s *Service) deregisterScalableTarget(ctx context.Context, req *wire.Request) (any, error) {
	var in targetIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c constraints
	in.check(&c)
	if err := c.err(); err != nil {
		return nil, err
	}
	ns, id, dim := in.names()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findTarget(ns, id, dim)
	if t == nil {
		return nil, notFound("No scalable target found for service namespace: %s, resource ID: %s, scalable dimension: %s", ns, id, dim)
	}
	prev := s.st
	key := t.key()
	next := state{Activities: s.st.Activities}
	for _, x := range s.st.Targets {
		if x != t {
			next.Targets = append(next.Targets, x)
		}
	}
	// A target's policies go with it.
	for _, p := range s.st.Policies {
		if p.targetKey() != key {
			next.Policies = append(next.Policies, p)
		}
	}
	s.st = next
	if err := s.save(); err != nil {
		s.st = prev
		return nil, err
	}
	delete(s.watch, key)
	return struct{}{}, nil
}

// page cuts a list by MaxResults and NextToken (an offset, opaque to
// callers).
func page(n int, maxResults *int64, token *string) (lo, hi int, next *string, err error) {
	size := 50
	if maxResults != nil {
		size = int(*maxResults)
	}
	if token != nil {
		b, derr := base64.RawURLEncoding.DecodeString(*token)
		off, perr := strconv.Atoi(string(b))
		if derr != nil || perr != nil || off < 0 || off > n {
			return 0, 0, nil, invalidNextToken()
		}
		lo = off
	}
	hi = min(lo+size, n)
	if hi < n {
		t := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(hi)))
		next = &t
	}
	return lo, hi, next, nil
}

// listIn are the paging members of the Describe operations.
type listIn struct {
	ServiceNamespace *string `json:"ServiceNamespace"`
	MaxResults       *int64  `json:"MaxResults"`
	NextToken        *string `json:"NextToken"`
}

func (in *listIn) check(c *constraints) {
	if c.required(in.ServiceNamespace, "serviceNamespace") {
		c.enum(in.ServiceNamespace, "serviceNamespace", serviceNamespaces)
	}
	c.intRange(in.MaxResults, "maxResults", 1, 50)
	c.length(in.NextToken, "nextToken", 0, 2048)
}

type suspendedOut struct {
	DynamicScalingInSuspended  bool `json:"DynamicScalingInSuspended"`
	DynamicScalingOutSuspended bool `json:"DynamicScalingOutSuspended"`
	ScheduledScalingSuspended  bool `json:"ScheduledScalingSuspended"`
}

type targetOut struct {
	ServiceNamespace  string       `json:"ServiceNamespace"`
	ResourceId        string       `json:"ResourceId"`
	ScalableDimension string       `json:"ScalableDimension"`
	MinCapacity       int64        `json:"MinCapacity"`
	MaxCapacity       int64        `json:"MaxCapacity"`
	RoleARN           string       `json:"RoleARN"`
	CreationTime      epoch        `json:"CreationTime"`
	SuspendedState    suspendedOut `json:"SuspendedState"`
	ScalableTargetARN string       `json:"ScalableTargetARN"`
}

func (s *Service) describeScalableTargets(ctx context.Context, req *wire.Request) (any, error) {
	var in struct {
		listIn
		ResourceIds       []string `json:"ResourceIds"`
		ScalableDimension *string  `json:"ScalableDimension"`
	}
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c constraints
	in.check(&c)
	c.enum(in.ScalableDimension, "scalableDimension", scalableDimensions)
	for i := range in.ResourceIds {
		c.resourceID(&in.ResourceIds[i], "resourceIds."+strconv.Itoa(i+1)+".member", false)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var all []targetOut
	for _, t := range s.st.Targets {
		if t.Namespace != *in.ServiceNamespace || (in.ScalableDimension != nil && t.Dimension != *in.ScalableDimension) {
			continue
		}
		if len(in.ResourceIds) > 0 && !contains(in.ResourceIds, t.ResourceID) {
			continue
		}
		all = append(all, targetOut{ServiceNamespace: t.Namespace, ResourceId: t.ResourceID, ScalableDimension: t.Dimension,
			MinCapacity: t.Min, MaxCapacity: t.Max, RoleARN: t.RoleARN, CreationTime: toEpoch(t.Created),
			SuspendedState: suspendedOut{t.SuspendIn, t.SuspendOut, t.SuspendSch}, ScalableTargetARN: t.ARN})
	}
	s.mu.Unlock()
	lo, hi, next, err := page(len(all), in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return struct {
		ScalableTargets []targetOut `json:"ScalableTargets"`
		NextToken       *string     `json:"NextToken,omitempty"`
	}{nonNil(all[lo:hi]), next}, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ttConfig is TargetTrackingScalingPolicyConfiguration, in and out.
type ttConfig struct {
	TargetValue                   *float64 `json:"TargetValue"`
	PredefinedMetricSpecification *struct {
		PredefinedMetricType *string `json:"PredefinedMetricType"`
		ResourceLabel        *string `json:"ResourceLabel,omitempty"`
	} `json:"PredefinedMetricSpecification,omitempty"`
	CustomizedMetricSpecification json.RawMessage `json:"CustomizedMetricSpecification,omitempty"`
	ScaleOutCooldown              *int64          `json:"ScaleOutCooldown,omitempty"`
	ScaleInCooldown               *int64          `json:"ScaleInCooldown,omitempty"`
	DisableScaleIn                *bool           `json:"DisableScaleIn,omitempty"`
}

// minTarget and maxTarget bound the target utilization of DynamoDB
// policies, as DynamoDB auto scaling documents them (20 to 90 percent).
const (
	minTarget = 20.0
	maxTarget = 90.0
)

func (s *Service) putScalingPolicy(ctx context.Context, req *wire.Request) (any, error) {
	var in struct {
		targetIn
		PolicyName                               *string         `json:"PolicyName"`
		PolicyType                               *string         `json:"PolicyType"`
		TargetTrackingScalingPolicyConfiguration *ttConfig       `json:"TargetTrackingScalingPolicyConfiguration"`
		StepScalingPolicyConfiguration           json.RawMessage `json:"StepScalingPolicyConfiguration"`
		PredictiveScalingPolicyConfiguration     json.RawMessage `json:"PredictiveScalingPolicyConfiguration"`
	}
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c constraints
	if c.required(in.PolicyName, "policyName") {
		c.length(in.PolicyName, "policyName", 1, 256)
		c.printable(in.PolicyName, "policyName")
	}
	in.check(&c)
	c.enum(in.PolicyType, "policyType", policyTypes)
	tt := in.TargetTrackingScalingPolicyConfiguration
	if tt != nil {
		if tt.TargetValue == nil {
			c.add(nil, "targetTrackingScalingPolicyConfiguration.targetValue", "Member must not be null")
		}
		if pm := tt.PredefinedMetricSpecification; pm != nil {
			if c.required(pm.PredefinedMetricType, "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType") {
				c.enum(pm.PredefinedMetricType, "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType", metricTypes)
			}
			c.length(pm.ResourceLabel, "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.resourceLabel", 1, 1023)
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	ns, id, dim := in.names()
	s.mu.Lock()
	t := s.findTarget(ns, id, dim)
	s.mu.Unlock()
	if t == nil {
		return nil, notFound("No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s", ns, id, dim)
	}
	r, err := parseResource(ns, id, dim)
	if err != nil {
		return nil, err
	}
	ptype := "StepScaling" // the model's default
	if in.PolicyType != nil {
		ptype = *in.PolicyType
	}
	if ptype != "TargetTrackingScaling" {
		return nil, validation("Unsupported policy type %s for service namespace dynamodb", ptype)
	}
	if tt == nil {
		return nil, validation("TargetTrackingScalingPolicyConfiguration is required for TargetTrackingScaling policies")
	}
	if tt.PredefinedMetricSpecification == nil && len(tt.CustomizedMetricSpecification) == 0 {
		return nil, validation("Either a predefined metric or a customized metric must be specified")
	}
	if tt.PredefinedMetricSpecification != nil && len(tt.CustomizedMetricSpecification) > 0 {
		return nil, validation("Only one of a predefined metric or a customized metric may be specified")
	}
	if len(tt.CustomizedMetricSpecification) > 0 {
		return nil, validation("dynax supports the predefined metrics DynamoDBReadCapacityUtilization and DynamoDBWriteCapacityUtilization only")
	}
	metric := *tt.PredefinedMetricSpecification.PredefinedMetricType
	want := "DynamoDBReadCapacityUtilization"
	if r.write {
		want = "DynamoDBWriteCapacityUtilization"
	}
	if metric != want {
		return nil, validation("Unsupported metric type %s for scalable dimension %s", metric, dim)
	}
	if tt.PredefinedMetricSpecification.ResourceLabel != nil {
		return nil, validation("ResourceLabel is only supported for the ALBRequestCountPerTarget metric type")
	}
	if v := *tt.TargetValue; math.IsNaN(v) || v < minTarget || v > maxTarget {
		return nil, validation("The target value for %s must be between %.1f and %.1f", metric, minTarget, maxTarget)
	}
	for _, cd := range []*int64{tt.ScaleInCooldown, tt.ScaleOutCooldown} {
		if cd != nil && (*cd < 0 || *cd > math.MaxInt32) {
			return nil, validation("Cooldown must be a non-negative number of seconds")
		}
	}

	region := s.region(req)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.findTarget(ns, id, dim) == nil { // deregistered meanwhile
		return nil, notFound("No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s", ns, id, dim)
	}
	var p *policy
	idx := -1
	for i, x := range s.st.Policies {
		if x.targetKey() == t.key() && x.Name == *in.PolicyName {
			p, idx = x, i
		}
	}
	np := &policy{Name: *in.PolicyName, Namespace: ns, ResourceID: id, Dimension: dim, Type: ptype,
		Created: s.opts.Now(), TargetValue: *tt.TargetValue, Metric: metric,
		ScaleInCooldown: tt.ScaleInCooldown, ScaleOutCooldown: tt.ScaleOutCooldown, DisableScaleIn: tt.DisableScaleIn}
	if p != nil {
		np.ARN, np.Created = p.ARN, p.Created
	} else {
		np.ARN = "arn:aws:autoscaling:" + region + ":" + s.opts.Account + ":scalingPolicy:" + uuid() +
			":resource/" + ns + "/" + id + ":policyName/" + np.Name
	}
	np.Alarms = s.alarms(region, id, np, p)
	prev := s.st.Policies
	if idx >= 0 {
		s.st.Policies = append(append(append([]*policy(nil), prev[:idx]...), np), prev[idx+1:]...)
	} else {
		s.st.Policies = append(append([]*policy(nil), prev...), np)
	}
	if err := s.save(); err != nil {
		s.st.Policies = prev
		return nil, err
	}
	if w := s.watch[t.key()]; w != nil {
		w.resetAlarms()
	}
	return struct {
		PolicyARN string     `json:"PolicyARN"`
		Alarms    []alarmOut `json:"Alarms"`
	}{np.ARN, alarmsOut(np.Alarms)}, nil
}

// alarms names the CloudWatch alarms of a DynamoDB target-tracking
// policy: AlarmHigh and AlarmLow on consumed capacity (AlarmLow only when
// scale-in is enabled), ProvisionedCapacityHigh and ProvisionedCapacityLow
// on the provisioned figure. An updated policy keeps the names it had.
func (s *Service) alarms(region, id string, p, old *policy) []alarm {
	kinds := []string{"AlarmHigh", "AlarmLow", "ProvisionedCapacityHigh", "ProvisionedCapacityLow"}
	var out []alarm
	for _, k := range kinds {
		if k == "AlarmLow" && p.scaleInDisabled() {
			continue
		}
		prefix := "TargetTracking-" + id + "-" + k + "-"
		name := ""
		if old != nil {
			for _, a := range old.Alarms {
				if strings.HasPrefix(a.Name, prefix) {
					name = a.Name
				}
			}
		}
		if name == "" {
			name = prefix + uuid()
		}
		out = append(out, alarm{Name: name, ARN: "arn:aws:cloudwatch:" + region + ":" + s.opts.Account + ":alarm:" + name})
	}
	return out
}

// alarmNamed returns the name of a policy's alarm of one kind.
func (p *policy) alarmNamed(kind string) string {
	for _, a := range p.Alarms {
		if strings.Contains(a.Name, "-"+kind+"-") {
			return a.Name
		}
	}
	return ""
}

type alarmOut struct {
	AlarmName string `json:"AlarmName"`
	AlarmARN  string `json:"AlarmARN"`
}

func alarmsOut(as []alarm) []alarmOut {
	out := make([]alarmOut, len(as))
	for i, a := range as {
		out[i] = alarmOut{a.Name, a.ARN}
	}
	return out
}

type policyOut struct {
	PolicyARN                                string     `json:"PolicyARN"`
	PolicyName                               string     `json:"PolicyName"`
	ServiceNamespace                         string     `json:"ServiceNamespace"`
	ResourceId                               string     `json:"ResourceId"`
	ScalableDimension                        string     `json:"ScalableDimension"`
	PolicyType                               string     `json:"PolicyType"`
	TargetTrackingScalingPolicyConfiguration ttOut      `json:"TargetTrackingScalingPolicyConfiguration"`
	Alarms                                   []alarmOut `json:"Alarms"`
	CreationTime                             epoch      `json:"CreationTime"`
}

type ttOut struct {
	TargetValue                   float64 `json:"TargetValue"`
	PredefinedMetricSpecification struct {
		PredefinedMetricType string `json:"PredefinedMetricType"`
	} `json:"PredefinedMetricSpecification"`
	ScaleOutCooldown *int64 `json:"ScaleOutCooldown,omitempty"`
	ScaleInCooldown  *int64 `json:"ScaleInCooldown,omitempty"`
	DisableScaleIn   *bool  `json:"DisableScaleIn,omitempty"`
}

func (s *Service) describeScalingPolicies(ctx context.Context, req *wire.Request) (any, error) {
	var in struct {
		listIn
		PolicyNames       []string `json:"PolicyNames"`
		ResourceId        *string  `json:"ResourceId"`
		ScalableDimension *string  `json:"ScalableDimension"`
	}
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c constraints
	in.check(&c)
	c.resourceID(in.ResourceId, "resourceId", false)
	c.enum(in.ScalableDimension, "scalableDimension", scalableDimensions)
	for i := range in.PolicyNames {
		c.resourceID(&in.PolicyNames[i], "policyNames."+strconv.Itoa(i+1)+".member", false)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var all []policyOut
	for _, p := range s.st.Policies {
		if p.Namespace != *in.ServiceNamespace || (in.ResourceId != nil && p.ResourceID != *in.ResourceId) ||
			(in.ScalableDimension != nil && p.Dimension != *in.ScalableDimension) ||
			(len(in.PolicyNames) > 0 && !contains(in.PolicyNames, p.Name)) {
			continue
		}
		o := policyOut{PolicyARN: p.ARN, PolicyName: p.Name, ServiceNamespace: p.Namespace, ResourceId: p.ResourceID,
			ScalableDimension: p.Dimension, PolicyType: p.Type, Alarms: alarmsOut(p.Alarms), CreationTime: toEpoch(p.Created)}
		o.TargetTrackingScalingPolicyConfiguration.TargetValue = p.TargetValue
		o.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType = p.Metric
		o.TargetTrackingScalingPolicyConfiguration.ScaleInCooldown = p.ScaleInCooldown
		o.TargetTrackingScalingPolicyConfiguration.ScaleOutCooldown = p.ScaleOutCooldown
		o.TargetTrackingScalingPolicyConfiguration.DisableScaleIn = p.DisableScaleIn
		all = append(all, o)
	}
	s.mu.Unlock()
	lo, hi, next, err := page(len(all), in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return struct {
		ScalingPolicies []policyOut `json:"ScalingPolicies"`
		NextToken       *string     `json:"NextToken,omitempty"`
	}{nonNil(all[lo:hi]), next}, nil
}

func (s *Service) deleteScalingPolicy(ctx context.Context, req *wire.Request) (any, error) {
	var in struct {
		targetIn
		PolicyName *string `json:"PolicyName"`
	}
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c constraints
	if c.required(in.PolicyName, "policyName") {
		c.length(in.PolicyName, "policyName", 1, 256)
		c.printable(in.PolicyName, "policyName")
	}
	in.check(&c)
	if err := c.err(); err != nil {
		return nil, err
	}
	ns, id, dim := in.names()
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.st.Policies
	var next []*policy
	found := false
	for _, p := range prev {
		if p.Namespace == ns && p.ResourceID == id && p.Dimension == dim && p.Name == *in.PolicyName {
			found = true
			continue
		}
		next = append(next, p)
	}
	if !found {
		return nil, notFound("No scaling policy found for service namespace: %s, resource ID: %s, scalable dimension: %s, policy name: %s", ns, id, dim, *in.PolicyName)
	}
	s.st.Policies = next
	if err := s.save(); err != nil {
		s.st.Policies = prev
		return nil, err
	}
	return struct{}{}, nil
}

type activityOut struct {
	ActivityId        string `json:"ActivityId"`
	ServiceNamespace  string `json:"ServiceNamespace"`
	ResourceId        string `json:"ResourceId"`
	ScalableDimension string `json:"ScalableDimension"`
	Description       string `json:"Description"`
	Cause             string `json:"Cause"`
	StartTime         epoch  `json:"StartTime"`
	EndTime           *epoch `json:"EndTime,omitempty"`
	StatusCode        string `json:"StatusCode"`
	StatusMessage     string `json:"StatusMessage,omitempty"`
}

func (s *Service) describeScalingActivities(ctx context.Context, req *wire.Request) (any, error) {
	var in struct {
		listIn
		ResourceId                 *string `json:"ResourceId"`
		ScalableDimension          *string `json:"ScalableDimension"`
		IncludeNotScaledActivities *bool   `json:"IncludeNotScaledActivities"`
	}
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c constraints
	in.check(&c)
	c.resourceID(in.ResourceId, "resourceId", false)
	c.enum(in.ScalableDimension, "scalableDimension", scalableDimensions)
	if err := c.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var all []activityOut
	for i := len(s.st.Activities) - 1; i >= 0; i-- { // newest first
		a := s.st.Activities[i]
		if a.Namespace != *in.ServiceNamespace || (in.ResourceId != nil && a.ResourceID != *in.ResourceId) ||
			(in.ScalableDimension != nil && a.Dimension != *in.ScalableDimension) {
			continue
		}
		o := activityOut{ActivityId: a.ID, ServiceNamespace: a.Namespace, ResourceId: a.ResourceID,
			ScalableDimension: a.Dimension, Description: a.Description, Cause: a.Cause, StartTime: toEpoch(a.Start),
			StatusCode: a.StatusCode, StatusMessage: a.StatusMessage}
		if !a.End.IsZero() {
			e := toEpoch(a.End)
			o.EndTime = &e
		}
		all = append(all, o)
	}
	s.mu.Unlock()
	lo, hi, next, err := page(len(all), in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return struct {
		ScalingActivities []activityOut `json:"ScalingActivities"`
		NextToken         *string       `json:"NextToken,omitempty"`
	}{nonNil(all[lo:hi]), next}, nil
}
