package ingest

import (
	"encoding/json"
	"io"
	"time"
)

// DefaultNamespace is the CloudWatch namespace of the ingest metrics.
const DefaultNamespace = "elbstream"

// emfMetric is a MetricDefinition of the embedded metric format.
type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit,omitempty"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetadata struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// WriteEMF writes s as one CloudWatch embedded-metric-format document on
// one line: CloudWatch Logs turns it into metrics in namespace with the
// dimension Stage=ingest, without any API call. The document's root holds
// the dimension and one member per metric, as the format requires; see
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
func WriteEMF(w io.Writer, namespace string, s Summary, took time.Duration, now time.Time) error {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	values := []struct {
		name, unit string
		v          int64
	}{
		{"Objects", "Count", s.Objects},
		{"FailedObjects", "Count", s.FailedObjects},
		{"Errors", "Count", s.ErrorCount},
		{"ContinuedObjects", "Count", s.Continued},
		{"SkippedObjects", "Count", s.SkippedTotal()},
		{"Lines", "Count", s.Lines},
		{"TruncatedLines", "Count", s.TruncatedLines},
		{"Bytes", "Bytes", s.Bytes},
		{"StoredBytes", "Bytes", s.StoredBytes},
		{"Records", "Count", s.Records},
		{"PutCalls", "Count", s.PutCalls},
		{"Retries", "Count", s.Retries},
		{"Throttled", "Count", s.Throttled},
		{"Duration", "Milliseconds", took.Milliseconds()},
	}
	doc := make(map[string]any, len(values)+2)
	dir := emfDirective{Namespace: namespace, Dimensions: [][]string{{"Stage"}}}
	for _, m := range values {
		dir.Metrics = append(dir.Metrics, emfMetric{Name: m.name, Unit: m.unit})
		doc[m.name] = m.v
	}
	doc["Stage"] = "ingest"
	doc["_aws"] = emfMetadata{Timestamp: now.UnixMilli(), CloudWatchMetrics: []emfDirective{dir}}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
