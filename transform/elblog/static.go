package elblog

import (
	"fmt"
	"strings"
)

// Field is a static field added to every event, parsed or failed.
type Field struct {
	// Key is a dotted path: "labels.env" is written as {"labels":{"env":…}}.
	Key   string
	Value string // always a JSON string
}

// ParseField parses "KEY=VALUE" (the form of elbstream parse --field).
func ParseField(s string) (Field, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return Field{}, fmt.Errorf("elblog: field %q: want KEY=VALUE", s)
	}
	f := Field{Key: k, Value: v}
	return f, f.check()
}

func (f Field) check() error {
	if f.Key == "" {
		return fmt.Errorf("elblog: field %q: empty key", f.Key+"="+f.Value)
	}
	for _, seg := range strings.Split(f.Key, ".") {
		if seg == "" {
			return fmt.Errorf("elblog: field %q: empty segment in key", f.Key)
		}
	}
	return nil
}

// topKey is a top-level object a schema writes. Static fields whose first
// segment names one are written inside it.
type topKey uint8

const (
	tkEvent topKey = iota
	tkCloud
	tkSource
	tkDestination
	tkHTTP
	tkURL
	tkUserAgent
	tkTLS
	tkTrace
	tkAWS
	tkError
	tkCount
)

var topNames = [tkCount]string{"event", "cloud", "source", "destination", "http", "url",
	"user_agent", "tls", "trace", "aws", "error"}

// shape is a kind of event; each opens a fixed set of top-level objects.
type shape uint8

const (
	shapeCLB shape = iota
	shapeALB
	shapeConn
	shapeNLB
	shapeFailure
	shapeCount
)

func shapeOf(f Format) shape {
	switch f {
	case CLB:
		return shapeCLB
	case ALB:
		return shapeALB
	case ALBConnection:
		return shapeConn
	case NLB:
		return shapeNLB
	}
	return shapeFailure
}

func keySet(keys ...topKey) (m uint32) {
	for _, k := range keys {
		m |= 1 << k
	}
	return m
}

// opens lists, per schema and shape, the top-level objects the writer always
// opens (and drops again when nothing was written into them).
var opens = [2][shapeCount]uint32{
	ECS: {
		shapeCLB:     keySet(tkEvent, tkCloud, tkSource, tkDestination, tkHTTP, tkURL, tkUserAgent, tkTLS, tkAWS),
		shapeALB:     keySet(tkEvent, tkCloud, tkSource, tkDestination, tkHTTP, tkURL, tkUserAgent, tkTLS, tkTrace, tkAWS),
		shapeConn:    keySet(tkEvent, tkCloud, tkSource, tkDestination, tkTLS, tkAWS),
		shapeNLB:     keySet(tkEvent, tkCloud, tkSource, tkDestination, tkTLS, tkAWS),
		shapeFailure: keySet(tkEvent, tkError),
	},
	Classic: {
		shapeCLB:     keySet(tkEvent),
		shapeALB:     keySet(tkEvent),
		shapeConn:    keySet(tkEvent),
		shapeNLB:     keySet(tkEvent),
		shapeFailure: keySet(tkEvent, tkError),
	},
}

// schemaKeys lists, per schema, every key the schema may write: top-level
// names, and for top-level objects their second-level names. A static field
// may add a new second-level key to a schema object (cloud.account.id) but
// not reuse one (aws.elb.x, event.id), nor a top-level leaf.
var schemaKeys = [2]map[string][]string{
	ECS: {
		"@timestamp":  nil,
		"tags":        nil,
		"event":       {"id", "kind", "category", "dataset", "outcome", "start", "end", "original"},
		"cloud":       {"provider"},
		"source":      {"ip", "port", "bytes"},
		"destination": {"ip", "port", "bytes", "domain"},
		"http":        {"request", "response", "version"},
		"url":         {"original", "scheme", "domain", "port", "path", "query", "fragment"},
		"user_agent":  {"original"},
		"tls":         {"cipher", "version", "version_protocol", "next_protocol", "client"},
		"trace":       {"id"},
		"aws":         {"elb"},
		"error":       {"message"},
	},
	Classic: {
		"@timestamp": nil, "tags": nil,
		"event":             {"id", "kind", "original"},
		"error":             {"message"},
		"EventReceivedTime": nil, "LoadBalancerName": nil, "PublicIpAndPort": nil,
		"InternalIpAndPort": nil, "TimeToForwardRequest": nil, "TimeTaken": nil,
		"TimeToForwardResponse": nil, "Status": nil, "BackendStatus": nil,
		"BytesUploadedFromClient": nil, "BytesDownloadedByClient": nil, "FullRequest": nil,
		"Verb": nil, "Path": nil, "UserAgent": nil, "SslCipher": nil, "SslProtocol": nil,
		"RequestType": nil, "TargetGroupArn": nil, "TraceId": nil, "DomainName": nil,
		"ErrorReason": nil, "Listener": nil, "TlsHandshakeTime": nil,
		"ConnectionTime": nil, "TlsVerifyStatus": nil, "ClientCertSubject": nil,
		"ConnTraceId": nil, "Extra": nil,
	},
}

// classicDefaults are the static fields the Node processor always wrote.
// --field overrides them.
var classicDefaults = []Field{{"SourceModuleName", "ELB"}, {"Type", "logs"}}

// staticFields is Fields compiled into JSON fragments. Every fragment is a
// run of members, each followed by a comma.
type staticFields struct {
	in   [tkCount][]byte    // members written inside a schema object
	mask uint32             // bit k: in[k] is not empty
	root [shapeCount][]byte // members written at the top level, per shape
}

type node struct {
	name     string
	leaf     bool
	value    string
	children []*node
}

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// compileStatic checks fields against the schema and renders them.
func compileStatic(schema Schema, fields []Field) (staticFields, error) {
	var s staticFields
	if schema == Classic {
		merged := make([]Field, 0, len(classicDefaults)+len(fields))
		for _, d := range classicDefaults {
			overridden := false
			for _, f := range fields {
				overridden = overridden || f.Key == d.Key
			}
			if !overridden {
				merged = append(merged, d)
			}
		}
		fields = append(merged, fields...)
	}
	root := &node{}
	for _, f := range fields {
		if err := f.check(); err != nil {
			return s, err
		}
		segs := strings.Split(f.Key, ".")
		if second, ok := schemaKeys[schema][segs[0]]; ok {
			if len(segs) == 1 || second == nil {
				return s, fmt.Errorf("elblog: field %q: the %s schema writes %q itself", f.Key, schema, segs[0])
			}
			for _, k := range second {
				if k == segs[1] {
					return s, fmt.Errorf("elblog: field %q: the %s schema writes %s.%s itself", f.Key, schema, segs[0], k)
				}
			}
		}
		n := root
		for i, seg := range segs {
			c := n.child(seg)
			last := i == len(segs)-1
			switch {
			case c == nil:
				c = &node{name: seg, leaf: last, value: f.Value}
				n.children = append(n.children, c)
			case c.leaf || last:
				return s, fmt.Errorf("elblog: field %q conflicts with another --field", f.Key)
			}
			n = c
		}
	}
	for _, c := range root.children {
		k := topIndex(c.name)
		if k < tkCount {
			for _, ch := range c.children {
				s.in[k] = renderNode(s.in[k], ch)
			}
			s.mask |= 1 << k
		}
	}
	for sh := shape(0); sh < shapeCount; sh++ {
		for _, c := range root.children {
			k := topIndex(c.name)
			if k < tkCount && opens[schema][sh]&(1<<k) != 0 {
				continue // written inside the schema's object
			}
			s.root[sh] = renderNode(s.root[sh], c)
		}
	}
	return s, nil
}

func topIndex(name string) topKey {
	for k, n := range topNames {
		if n == name {
			return topKey(k)
		}
	}
	return tkCount
}

// renderNode appends n as a member followed by a comma.
func renderNode(dst []byte, n *node) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, []byte(n.name))
	dst = append(dst, '"', ':')
	if n.leaf {
		dst = append(dst, '"')
		dst = appendEscaped(dst, []byte(n.value))
		return append(dst, '"', ',')
	}
	dst = append(dst, '{')
	for _, c := range n.children {
		dst = renderNode(dst, c)
	}
	dst[len(dst)-1] = '}'
	return append(dst, ',')
}
