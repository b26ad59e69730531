package forward

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/elbstream/elbstream/forward/output"
)

// The summary must not claim acknowledgements an output cannot give.
func TestSummarySaysWhatDeliveryMeans(t *testing.T) {
	for _, tt := range []struct {
		g    output.Guarantee
		want string
	}{
		{output.Acknowledged, "7 acknowledged"},
		{output.Written, "7 written"},
	} {
		m := &Metrics{Guarantee: tt.g}
		m.eventsAcked.Add(7)
		var b bytes.Buffer
		m.Snapshot().WriteSummary(&b, time.Second)
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("%v: summary %q does not say %q", tt.g, b.String(), tt.want)
		}
	}
}
