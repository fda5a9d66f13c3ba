package autoscaling

import (
	"fmt"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// Application Auto Scaling's errors carry their bare name in __type and
// the text under "Message".
func aasError(name, format string, args ...any) *ddb.Error {
	return &ddb.Error{Status: 400, Type: name, Message: fmt.Sprintf(format, args...), CapitalMessage: true}
}

func validation(format string, args ...any) *ddb.Error {
	return aasError("ValidationException", format, args...)
}

func notFound(format string, args ...any) *ddb.Error {
	return aasError("ObjectNotFoundException", format, args...)
}

func invalidNextToken() *ddb.Error {
	return aasError("InvalidNextTokenException", "Invalid NextToken")
}

func internalError() *ddb.Error {
	return &ddb.Error{Status: 500, Type: "InternalServiceException", Message: "Internal server error", CapitalMessage: true}
}

// serialization answers a body that is not the operation's JSON shape.
func serialization() *ddb.Error {
	return &ddb.Error{Status: 400, Type: ddb.NSService + "SerializationException"}
}

// constraints collects the model's member checks of one request, which
// the service reports together, Coral's way: "N validation errors
// detected: Value … at 'member' failed to satisfy constraint: …; …".
type constraints struct{ msgs []string }

func (c *constraints) add(value *string, member, constraint string) {
	v := "null"
	if value != nil {
		v = "'" + *value + "'"
	}
	c.msgs = append(c.msgs, "Value "+v+" at '"+member+"' failed to satisfy constraint: "+constraint)
}

func (c *constraints) err() error {
	switch len(c.msgs) {
	case 0:
		return nil
	case 1:
		return validation("1 validation error detected: %s", c.msgs[0])
	}
	return validation("%d validation errors detected: %s", len(c.msgs), strings.Join(c.msgs, "; "))
}

// required checks a required string member.
func (c *constraints) required(v *string, member string) bool {
	if v == nil {
		c.add(nil, member, "Member must not be null")
		return false
	}
	return true
}

// enum checks a string member against its value set.
func (c *constraints) enum(v *string, member string, set []string) {
	if v == nil {
		return
	}
	for _, s := range set {
		if *v == s {
			return
		}
	}
	c.add(v, member, "Member must satisfy enum value set: ["+strings.Join(set, ", ")+"]")
}

// length checks a string member's length in characters.
func (c *constraints) length(v *string, member string, lo, hi int) {
	if v == nil {
		return
	}
	n := len([]rune(*v))
	switch {
	case n < lo:
		c.add(v, member, fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	case n > hi:
		c.add(v, member, fmt.Sprintf("Member must have length less than or equal to %d", hi))
	}
}

// xmlString checks the model's pattern of resource ids and ARNs
// ([\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*): printable
// characters, tabs and line breaks.
func (c *constraints) xmlString(v *string, member string) {
	if v == nil {
		return
	}
	for _, r := range *v {
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000 {
			continue
		}
		c.add(v, member, `Member must satisfy regular expression pattern: [\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*`)
		return
	}
}

// printable checks the pattern \p{Print}+ of policy names.
func (c *constraints) printable(v *string, member string) {
	if v == nil {
		return
	}
	for _, r := range *v {
		if r < 0x20 || r == 0x7f {
			c.add(v, member, `Member must satisfy regular expression pattern: \p{Print}+`)
			return
		}
	}
}

// resourceID checks a ResourceIdMaxLen1600 member.
func (c *constraints) resourceID(v *string, member string, req bool) {
	if req && !c.required(v, member) {
		return
	}
	c.length(v, member, 1, 1600)
	c.xmlString(v, member)
}

// intRange checks an integer member.
func (c *constraints) intRange(v *int64, member string, lo, hi int64) {
	if v == nil {
		return
	}
	s := fmt.Sprint(*v)
	switch {
	case *v < lo:
		c.add(&s, member, fmt.Sprintf("Member must have value greater than or equal to %d", lo))
	case *v > hi:
		c.add(&s, member, fmt.Sprintf("Member must have value less than or equal to %d", hi))
	}
}

// The value sets of the model's enums, in the model's order.
var (
	serviceNamespaces = []string{"ecs", "elasticmapreduce", "ec2", "appstream", "dynamodb", "rds", "sagemaker",
		"custom-resource", "comprehend", "lambda", "cassandra", "kafka", "elasticache", "neptune", "workspaces"}
	scalableDimensions = []string{"ecs:service:DesiredCount", "ec2:spot-fleet-request:TargetCapacity",
		"elasticmapreduce:instancegroup:InstanceCount", "appstream:fleet:DesiredCapacity",
		"dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits",
		"dynamodb:index:ReadCapacityUnits", "dynamodb:index:WriteCapacityUnits",
		"rds:cluster:ReadReplicaCount", "sagemaker:variant:DesiredInstanceCount",
		"custom-resource:ResourceType:Property",
		"comprehend:document-classifier-endpoint:DesiredInferenceUnits",
		"comprehend:entity-recognizer-endpoint:DesiredInferenceUnits",
		"lambda:function:ProvisionedConcurrency", "cassandra:table:ReadCapacityUnits",
		"cassandra:table:WriteCapacityUnits", "kafka:broker-storage:VolumeSize",
		"elasticache:cache-cluster:Nodes", "elasticache:replication-group:NodeGroups",
		"elasticache:replication-group:Replicas", "neptune:cluster:ReadReplicaCount",
		"sagemaker:variant:DesiredProvisionedConcurrency", "sagemaker:inference-component:DesiredCopyCount",
		"workspaces:workspacespool:DesiredUserSessions"}
	policyTypes = []string{"StepScaling", "TargetTrackingScaling", "PredictiveScaling"}
	metricTypes = []string{"DynamoDBReadCapacityUtilization", "DynamoDBWriteCapacityUtilization",
		"ALBRequestCountPerTarget", "RDSReaderAverageCPUUtilization", "RDSReaderAverageDatabaseConnections",
		"EC2SpotFleetRequestAverageCPUUtilization", "EC2SpotFleetRequestAverageNetworkIn",
		"EC2SpotFleetRequestAverageNetworkOut", "SageMakerVariantInvocationsPerInstance",
		"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization",
		"AppStreamAverageCapacityUtilization", "ComprehendInferenceUtilization",
		"LambdaProvisionedConcurrencyUtilization", "CassandraReadCapacityUtilization",
		"CassandraWriteCapacityUtilization", "KafkaBrokerStorageUtilization", "ElastiCacheEngineCPUUtilization",
		"ElastiCacheDatabaseMemoryUsagePercentage", "ElastiCachePrimaryEngineCPUUtilization",
		"ElastiCacheReplicaEngineCPUUtilization", "ElastiCacheDatabaseMemoryUsageCountedForEvictPercentage",
		"NeptuneReaderAverageCPUUtilization", "SageMakerVariantProvisionedConcurrencyUtilization",
		"ElastiCacheDatabaseCapacityUsageCountedForEvictPercentage",
		"SageMakerInferenceComponentInvocationsPerCopy", "WorkSpacesAverageUserSessionsCapacityUtilization",
		"SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
		"SageMakerVariantConcurrentRequestsPerModelHighResolution",
		"ECSServiceAverageCPUUtilizationHighResolution", "ECSServiceAverageMemoryUtilizationHighResolution"}
)
