package forward

import "github.com/prometheus/client_golang/prometheus"

// Collector returns a Prometheus collector that reads m at scrape time.
// Register it on the caller's own registry (not the global one):
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(m.Collector())
func (m *Metrics) Collector() prometheus.Collector { return collector{m} }

const ns = "elbstream_forward_"

var (
	descRecords     = prometheus.NewDesc(ns+"records_total", "Stream records handed to the forwarder.", nil, nil)
	descBytes       = prometheus.NewDesc(ns+"record_bytes_total", "Data bytes of those records.", nil, nil)
	descEventsRead  = prometheus.NewDesc(ns+"events_read_total", "Events deaggregated from the records.", nil, nil)
	descEventsSent  = prometheus.NewDesc(ns+"events_sent_total", "Events handed to the output, resends included.", nil, nil)
	descEventsAcked = prometheus.NewDesc(ns+"events_acked_total", "Events the output acknowledged.", nil, nil)
	descRetries     = prometheus.NewDesc(ns+"send_retries_total", "Failed sends that were retried.", nil, nil)
	descMalformed   = prometheus.NewDesc(ns+"malformed_total", "Records or events skipped as undeliverable.", nil, nil)
	descCheckpoints = prometheus.NewDesc(ns+"checkpoints_total", "Checkpoints written mid-batch by the forwarder.", nil, nil)
	descInFlight    = prometheus.NewDesc(ns+"events_in_flight", "Events sent and not yet acknowledged.", nil, nil)
	descConnsOpen   = prometheus.NewDesc(ns+"connections", "Output connections open now.", nil, nil)
	descConnsOpened = prometheus.NewDesc(ns+"connections_created_total", "Output connections dialed and confirmed.", nil, nil)
	descConnsClosed = prometheus.NewDesc(ns+"connections_destroyed_total", "Output connections closed, after an error or at shutdown.", nil, nil)
	descDialErrors  = prometheus.NewDesc(ns+"dial_errors_total", "Failed dials (connect or TLS handshake) of the output.", nil, nil)
	descOutFailures = prometheus.NewDesc(ns+"output_failures_total", "Send attempts that failed on an established connection.", nil, nil)
	descResent      = prometheus.NewDesc(ns+"events_resent_total", "Events the output wrote again after a failure.", nil, nil)
	descOutBytes    = prometheus.NewDesc(ns+"output_bytes_total", "Bytes written to the receiver, framing included.", nil, nil)
	descBehind      = prometheus.NewDesc(ns+"behind_tip_seconds", "How far the last batch read was behind the newest record of the shard.", []string{"shard"}, nil)
	descOldest      = prometheus.NewDesc(ns+"oldest_unacked_age_seconds", "Age of the shard's oldest record not yet acknowledged (0 with nothing in delivery); grows while delivery is stuck.", []string{"shard"}, nil)
)

type collector struct{ m *Metrics }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRecords, descBytes, descEventsRead, descEventsSent, descEventsAcked,
		descRetries, descMalformed, descCheckpoints, descInFlight, descConnsOpen, descConnsOpened, descConnsClosed,
		descDialErrors, descOutFailures, descResent, descOutBytes, descBehind, descOldest} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.m.Snapshot()
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter(descRecords, s.Records)
	counter(descBytes, s.Bytes)
	counter(descEventsRead, s.EventsRead)
	counter(descEventsSent, s.EventsSent)
	counter(descEventsAcked, s.EventsAcked)
	counter(descRetries, s.Retries)
	counter(descMalformed, s.Malformed)
	counter(descCheckpoints, s.Checkpoints)
	gauge(descInFlight, float64(s.InFlight))
	if c.m.Output != nil {
		o := s.Output
		gauge(descConnsOpen, float64(o.Open()))
		counter(descConnsOpened, int64(o.ConnectionsCreated))
		counter(descConnsClosed, int64(o.ConnectionsDestroyed))
		counter(descDialErrors, int64(o.DialErrors))
		counter(descOutFailures, int64(o.Failures))
		counter(descResent, int64(o.EventsRetried))
		counter(descOutBytes, int64(o.Bytes))
	}
	for shard, d := range s.BehindTip {
		gauge(descBehind, d.Seconds(), shard)
	}
	for shard, d := range s.OldestUnacked {
		gauge(descOldest, d.Seconds(), shard)
	}
}
