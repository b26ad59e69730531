// Package gen generates realistic AWS load-balancer log lines of every
// format — Classic (CLB), Application (ALB), ALB connection and Network (NLB)
// TLS logs — deterministically from a seed, so tests and benchmarks need no
// large committed files. The same seed always yields the same lines.
//
// Lines are well formed: every line the generator writes is one a correct
// parser accepts. With Options.Messy above zero, that share of lines carries
// the hard cases real logs contain: IPv6 clients, quotes and backslashes
// escaped as \x22 and \x5C, spaces inside request URLs, bytes that are not
// UTF-8, -1 processing times with "-" targets, Lambda targets, the older
// shorter ALB and NLB forms, and fields appended after the documented ones.
package gen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// Format is a log format.
type Format int

const (
	CLB Format = iota + 1
	ALB
	ALBConnection
	NLB
)

// Formats lists every format.
var Formats = []Format{CLB, ALB, ALBConnection, NLB}

func (f Format) String() string {
	switch f {
	case CLB:
		return "clb"
	case ALB:
		return "alb"
	case ALBConnection:
		return "albconn"
	case NLB:
		return "nlb"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// Options tune what is generated. The zero value generates clean, current
// lines.
type Options struct {
	// Messy is the share of lines, from 0 to 1, that carry a hard case.
	// Default: 0
	Messy float64
}

// Generator writes lines of one format. It is not safe for concurrent use.
type Generator struct {
	f    Format
	r    *rand.Rand
	t    time.Time
	opts Options
}

// Start is the time of the first generated line.
var Start = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// New returns a generator of format f seeded with seed.
func New(f Format, seed uint64, opts Options) *Generator {
	if f < CLB || f > NLB {
		panic(fmt.Sprintf("gen: unknown format %d", f))
	}
	return &Generator{f: f, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), t: Start, opts: opts}
}

// Append appends one line, without a line ending, to dst.
func (g *Generator) Append(dst []byte) []byte {
	g.t = g.t.Add(time.Duration(g.r.IntN(2000)) * time.Millisecond / 10)
	messy := g.opts.Messy > 0 && g.r.Float64() < g.opts.Messy
	switch g.f {
	case CLB:
		return g.clb(dst, messy)
	case ALB:
		return g.alb(dst, messy)
	case ALBConnection:
		return g.conn(dst, messy)
	default:
		return g.nlb(dst, messy)
	}
}

// Lines returns n lines.
func (g *Generator) Lines(n int) [][]byte {
	lines := make([][]byte, n)
	for i := range lines {
		lines[i] = g.Append(nil)
	}
	return lines
}

// Object returns a log object as AWS writes one: n lines, each ending in
// "\n".
func Object(f Format, seed uint64, n int, opts Options) []byte {
	g := New(f, seed, opts)
	var b []byte
	for range n {
		b = append(g.Append(b), '\n')
	}
	return b
}

func (g *Generator) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *Generator) hex(dst []byte, n int) []byte {
	const digits = "0123456789abcdef"
	for range n {
		dst = append(dst, digits[g.r.IntN(16)])
	}
	return dst
}

func (g *Generator) stamp(dst []byte, t time.Time, layout string) []byte {
	return t.AppendFormat(dst, layout)
}

const (
	micros = "2006-01-02T15:04:05.000000Z"
	secs   = "2006-01-02T15:04:05"
	secsZ  = "2006-01-02T15:04:05Z"
)

// clientIP appends a public client address; messy lines may get IPv6.
func (g *Generator) clientIP(dst []byte, v6 bool) []byte {
	if v6 {
		return fmt.Appendf(dst, "2001:db8:%x:%x::%x", g.r.IntN(0x10000), g.r.IntN(0x10000), 1+g.r.IntN(0xfffe))
	}
	return fmt.Appendf(dst, "%d.%d.%d.%d", 1+g.r.IntN(222), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
}

func (g *Generator) targetIP(dst []byte) []byte {
	return fmt.Appendf(dst, "10.0.%d.%d", g.r.IntN(4), 1+g.r.IntN(254))
}

func (g *Generator) port(dst []byte) []byte {
	return strconv.AppendInt(dst, int64(1024+g.r.IntN(64511)), 10)
}

// seconds appends a processing time with the given decimals.
func (g *Generator) seconds(dst []byte, decimals int) []byte {
	v := g.r.ExpFloat64() * 0.02
	return strconv.AppendFloat(dst, v, 'f', decimals, 64)
}

var (
	methods = []string{"GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"}
	paths   = []string{"/", "/index.html", "/api/v1/users/%d", "/api/v1/orders/%d/items", "/static/js/app.%x.js",
		"/static/css/site.%x.css", "/health", "/login", "/search", "/api/v2/products/%d/reviews", "/images/%d.jpg"}
	queries = []string{"", "", "", "?page=%d", "?q=shoes&size=%d", "?utm_source=newsletter&id=%d", "?limit=50&offset=%d"}
	agents  = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
		"curl/8.5.0", "python-requests/2.31.0", "Go-http-client/1.1", "ELB-HealthChecker/2.0",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"okhttp/4.12.0", "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.0 md/GOOS#linux md/GOARCH#amd64",
	}
	statuses = []int{200, 200, 200, 200, 200, 200, 200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 404, 500, 502, 503}
	ciphers  = []string{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "TLS_AES_128_GCM_SHA256",
		"TLS_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256"}
	protocols = []string{"TLSv1.2", "TLSv1.2", "TLSv1.3"}
	hosts     = []string{"www.example.com", "api.example.com", "shop.example.com", "example.com"}
	messyUA   = []string{
		`user\x22agent\x22 UpstreamClient(Apache-HttpClient/5.0.3 \x5C(Java/21.0.4\x5C))`,
		`Mozilla/5.0 \x22quoted\x22 \x5Cpath\x5C`,
		"Mozilla/5.0 (Linux; Android 14) caf\xe9 \xff\xfe",
		"Mozilla/5.0 (Windows NT 10.0) \xe2\x80\x99smart quote\xe2\x80\x99",
	}
)

// request appends the request field's content: METHOD URL HTTP/VERSION.
func (g *Generator) request(dst []byte, scheme string, port int, version string, messy bool) []byte {
	dst = append(dst, g.pick(methods)...)
	dst = append(dst, ' ')
	dst = fmt.Appendf(dst, "%s://%s:%d", scheme, g.pick(hosts), port)
	p := g.pick(paths)
	if messy && g.r.IntN(2) == 0 {
		p = "/search/summer sale %d"
	}
	dst = g.fill(dst, p)
	dst = g.fill(dst, g.pick(queries))
	return append(append(dst, ' '), version...)
}

// fill appends pattern with its one %d or %x, if any, replaced by a random
// number.
func (g *Generator) fill(dst []byte, pattern string) []byte {
	for i := 0; i+1 < len(pattern); i++ {
		if pattern[i] == '%' {
			dst = append(dst, pattern[:i]...)
			base := 10
			if pattern[i+1] == 'x' {
				base = 16
			}
			dst = strconv.AppendInt(dst, int64(g.r.IntN(100000)), base)
			return append(dst, pattern[i+2:]...)
		}
	}
	return append(dst, pattern...)
}

func (g *Generator) agent(dst []byte, messy bool) []byte {
	if messy {
		return append(dst, g.pick(messyUA)...)
	}
	return append(dst, g.pick(agents)...)
}

func (g *Generator) clb(dst []byte, messy bool) []byte {
	dst = g.stamp(dst, g.t, micros)
	dst = append(dst, " my-loadbalancer "...)
	dst = g.clientIP(dst, messy && g.r.IntN(3) == 0)
	dst = append(dst, ':')
	dst = g.port(dst)
	dst = append(dst, ' ')
	tcp := g.r.IntN(10) == 0
	timeout := messy && !tcp && g.r.IntN(3) == 0
	if timeout {
		dst = append(dst, "- -1 -1 -1 504 0 0 0 "...)
	} else {
		dst = g.targetIP(dst)
		dst = append(dst, ":80 "...)
		for range 3 {
			dst = append(g.seconds(dst, 6), ' ')
		}
		if tcp {
			dst = append(dst, "- - "...)
		} else {
			s := statuses[g.r.IntN(len(statuses))]
			dst = fmt.Appendf(dst, "%d %d ", s, s)
		}
		dst = fmt.Appendf(dst, "%d %d ", g.r.IntN(2000), g.r.IntN(50000))
	}
	https := g.r.IntN(2) == 0
	if tcp {
		dst = append(dst, `"- - - " "-" `...)
	} else {
		dst = append(dst, '"')
		if https {
			dst = g.request(dst, "https", 443, "HTTP/1.1", messy)
		} else {
			dst = g.request(dst, "http", 80, "HTTP/1.1", messy)
		}
		dst = append(dst, `" "`...)
		dst = g.agent(dst, messy)
		dst = append(dst, `" `...)
	}
	if https || (tcp && g.r.IntN(2) == 0) {
		dst = append(dst, g.pick(ciphers)...)
		dst = append(dst, ' ')
		dst = append(dst, g.pick(protocols)...)
	} else {
		dst = append(dst, "- -"...)
	}
	return dst
}

func (g *Generator) alb(dst []byte, messy bool) []byte {
	kinds := []string{"http", "https", "https", "https", "h2", "h2", "wss", "ws", "grpcs"}
	kind := g.pick(kinds)
	tls := kind != "http" && kind != "ws"
	dst = append(dst, kind...)
	dst = append(dst, ' ')
	dst = g.stamp(dst, g.t, micros)
	dst = append(dst, " app/my-loadbalancer/50dc6c495c0c9188 "...)
	dst = g.clientIP(dst, messy && g.r.IntN(3) == 0)
	dst = append(dst, ':')
	dst = g.port(dst)
	dst = append(dst, ' ')

	lambda := g.r.IntN(20) == 0
	failed := messy && g.r.IntN(3) == 0
	status := statuses[g.r.IntN(len(statuses))]
	var target []byte
	switch {
	case lambda || failed:
		target = []byte("-")
	default:
		target = append(g.targetIP(nil), ":8080"...)
	}
	dst = append(dst, target...)
	dst = append(dst, ' ')
	if failed {
		status = 502 + 2*g.r.IntN(2)
		dst = fmt.Appendf(dst, "-1 -1 -1 %d - ", status)
	} else {
		for range 3 {
			dst = append(g.seconds(dst, 3), ' ')
		}
		dst = fmt.Appendf(dst, "%d %d ", status, status)
	}
	dst = fmt.Appendf(dst, "%d %d ", g.r.IntN(2000), g.r.IntN(50000))

	version := "HTTP/1.1"
	if kind == "h2" || kind == "grpcs" {
		version = "HTTP/2.0"
	}
	dst = append(dst, '"')
	if tls {
		dst = g.request(dst, "https", 443, version, messy)
	} else {
		dst = g.request(dst, "http", 80, version, messy)
	}
	dst = append(dst, `" "`...)
	dst = g.agent(dst, messy)
	dst = append(dst, `" `...)
	if tls {
		dst = append(dst, g.pick(ciphers)...)
		dst = append(dst, ' ')
		dst = append(dst, g.pick(protocols)...)
	} else {
		dst = append(dst, "- -"...)
	}
	// The older forms ended after field 16, 17, 25 or 29.
	fields := 33
	if messy {
		fields = []int{16, 17, 25, 29, 30, 33, 35}[g.r.IntN(7)]
	}
	if fields == 16 {
		return dst
	}
	dst = append(dst, " arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067"...)
	if fields == 17 {
		return dst
	}
	dst = append(dst, ` "Root=1-`...)
	dst = g.hex(dst, 8)
	dst = append(dst, '-')
	dst = g.hex(dst, 24)
	dst = append(dst, `" "`...)
	host := g.pick(hosts)
	if tls {
		dst = append(dst, host...)
		dst = append(dst, `" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" `...)
	} else {
		dst = append(dst, `-" "-" `...)
	}
	dst = strconv.AppendInt(dst, int64(g.r.IntN(10)), 10)
	dst = append(dst, ' ')
	dst = g.stamp(dst, g.t.Add(-time.Duration(g.r.IntN(500))*time.Millisecond), micros)
	if failed {
		dst = append(dst, ` "forward" "-" "TargetConnectionErrorCode"`...)
	} else if status == 301 || status == 302 {
		dst = fmt.Appendf(dst, ` "redirect" "https://%s:443/" "-"`, host)
	} else {
		dst = append(dst, ` "authenticate,forward" "-" "-"`...)
	}
	if fields == 25 {
		return dst
	}
	switch {
	case failed:
		dst = append(dst, ` "-" "-"`...)
	case lambda:
		dst = fmt.Appendf(dst, ` "-" "%d"`, status)
	default:
		dst = fmt.Appendf(dst, ` "%s" "%d"`, target, status)
	}
	dst = append(dst, ` "-" "-"`...)
	if fields == 29 {
		return dst
	}
	dst = append(dst, " TID_"...)
	dst = g.hex(dst, 32)
	if fields == 30 {
		return dst
	}
	dst = append(dst, ` "-" "-" "-"`...)
	if fields == 35 { // fields AWS may add later
		dst = append(dst, ` "future-value" 42`...)
	}
	return dst
}

func (g *Generator) conn(dst []byte, messy bool) []byte {
	dst = g.stamp(dst, g.t, micros)
	dst = append(dst, ' ')
	dst = g.clientIP(dst, messy && g.r.IntN(2) == 0)
	dst = append(dst, ' ')
	dst = g.port(dst)
	dst = append(dst, " 443 "...)
	dst = append(dst, g.pick(protocols)...)
	dst = append(dst, ' ')
	dst = append(dst, g.pick(ciphers)...)
	failed := messy && g.r.IntN(2) == 0
	if failed {
		dst = append(dst, " -"...)
	} else {
		dst = append(dst, ' ')
		dst = strconv.AppendFloat(dst, g.r.ExpFloat64()*0.01, 'f', 3, 64)
	}
	dst = fmt.Appendf(dst, ` "CN=client%d.example.com,O=endEntity,L=Seattle,ST=Washington,C=US" `, g.r.IntN(1000))
	dst = append(dst, "NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z "...)
	dst = g.hex(dst, 16)
	if failed {
		dst = append(dst, " Failed:ClientCertUntrusted"...)
	} else {
		dst = append(dst, " Success"...)
	}
	dst = append(dst, " TID_"...)
	return g.hex(dst, 32)
}

func (g *Generator) nlb(dst []byte, messy bool) []byte {
	dst = append(dst, "tls 2.0 "...)
	dst = g.stamp(dst, g.t, secs)
	dst = append(dst, " net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd "...)
	dst = g.clientIP(dst, messy && g.r.IntN(2) == 0)
	dst = append(dst, ':')
	dst = g.port(dst)
	dst = append(dst, " 172.100.100.185:443 "...)
	dst = strconv.AppendInt(dst, int64(g.r.IntN(60000)), 10)
	if messy && g.r.IntN(3) == 0 {
		dst = append(dst, " -"...)
	} else {
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(g.r.IntN(50)), 10)
	}
	dst = fmt.Appendf(dst, " %d %d - ", g.r.IntN(5000), g.r.IntN(500000))
	dst = append(dst, "arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - "...)
	dst = append(dst, g.pick(ciphers)...)
	dst = append(dst, ' ')
	dst = append(dst, g.pick([]string{"tlsv12", "tlsv12", "tlsv13"})...)
	dst = append(dst, " - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com "...)
	if g.r.IntN(2) == 0 {
		dst = append(dst, `h2 h2 "h2","http/1.1"`...)
	} else {
		dst = append(dst, "- - -"...)
	}
	if messy && g.r.IntN(2) == 0 {
		return dst // the 21-field form, before tls_connection_creation_time
	}
	dst = append(dst, ' ')
	return g.stamp(dst, g.t.Add(-time.Duration(g.r.IntN(60000))*time.Millisecond), secs)
}
