package elblog

import "fmt"

// Schema is the shape of the JSON events.
type Schema uint8

const (
	// ECS names fields as the Elastic Common Schema and Filebeat's aws/elb
	// module do, in nested objects. See the package documentation.
	ECS Schema = iota
	// Classic names fields as the original Node.js processor did
	// (EventReceivedTime, LoadBalancerName, TimeTaken in milliseconds, …), so
	// dashboards built on it keep working.
	Classic
)

var schemaNames = [...]string{ECS: "ecs", Classic: "classic"}

// String returns the name ParseSchema accepts: ecs or classic.
func (s Schema) String() string {
	if int(s) < len(schemaNames) {
		return schemaNames[s]
	}
	return fmt.Sprintf("Schema(%d)", int(s))
}

// ParseSchema parses a schema name: ecs or classic.
func ParseSchema(s string) (Schema, error) {
	for v, name := range schemaNames {
		if s == name {
			return Schema(v), nil
		}
	}
	return ECS, fmt.Errorf("elblog: unknown schema %q (want ecs or classic)", s)
}
