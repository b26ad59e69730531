package output

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenURLs(t *testing.T) {
	dir := t.TempDir()
	pki := newPKI(t)
	tlsCfg := Config{TLS: TLSConfig{CAFile: pki.CAFile}}
	for _, tc := range []struct {
		url       string
		cfg       Config
		name      string
		guarantee Guarantee
		err       string
	}{
		{url: "beats://logstash:5045", name: "beats://logstash:5045", guarantee: Acknowledged},
		{url: "beats://logstash", name: "beats://logstash:5044", guarantee: Acknowledged},
		{url: "beats+tls://logstash:5044", cfg: tlsCfg, name: "beats+tls://logstash:5044", guarantee: Acknowledged},
		{url: "beats+tls://[::1]:5044", name: "beats+tls://[::1]:5044", guarantee: Acknowledged},
		{url: "tcp://10.0.0.1:5000", name: "tcp://10.0.0.1:5000", guarantee: Written},
		{url: "tcp+tls://logstash:5000", cfg: tlsCfg, name: "tcp+tls://logstash:5000", guarantee: Written},
		{url: "stdout", name: "stdout", guarantee: Written},
		{url: "file:" + filepath.Join(dir, "a.json"), name: "file:" + filepath.Join(dir, "a.json"), guarantee: Written},
		{url: "file://" + filepath.Join(dir, "b.json"), name: "file:" + filepath.Join(dir, "b.json"), guarantee: Written},

		{url: "tcp://logstash", err: "needs a port"},
		{url: "http://logstash:80", err: "unknown scheme"},
		{url: "logstash:5044", err: "want beats://"},
		{url: "beats://logstash:5044/path", err: "want beats://"},
		{url: "beats://logstash:5044?x=1", err: "want beats://"},
		{url: "beats://", err: "want beats://"},
		{url: "file:", err: "names no path"},
		{url: "beats://logstash:5044", cfg: tlsCfg, err: "use beats+tls://"},
		{url: "tcp://logstash:5000", cfg: Config{TLS: TLSConfig{InsecureSkipVerify: true}}, err: "use tcp+tls://"},
		{url: "stdout", cfg: tlsCfg, err: "without TLS"},
		{url: "tcp://logstash:5000", cfg: Config{Compression: 3}, err: "beats option"},
		{url: "beats://logstash:5000", cfg: Config{Compression: 10}, err: "compression level"},
		{url: "beats+tls://logstash:5000", cfg: Config{TLS: TLSConfig{CAFile: filepath.Join(dir, "none.pem")}}, err: "read CA file"},
		{url: "beats+tls://logstash:5000", cfg: Config{TLS: TLSConfig{CAFile: pki.ClientKey}}, err: "no PEM certificate"},
		{url: "beats+tls://logstash:5000", cfg: Config{TLS: TLSConfig{CertFile: pki.ClientCert}}, err: "set both or neither"},
		{url: "beats+tls://logstash:5000", cfg: Config{TLS: TLSConfig{CertFile: pki.ClientCert, KeyFile: pki.CAFile}}, err: "load client certificate"},
	} {
		o, err := Open(tc.url, tc.cfg)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Open(%q) error = %v, want %q", tc.url, err, tc.err)
			}
			if o != nil {
				o.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("Open(%q): %v", tc.url, err)
			continue
		}
		if o.String() != tc.name || o.Guarantee() != tc.guarantee {
			t.Errorf("Open(%q) = %s (%v), want %s (%v)", tc.url, o, o.Guarantee(), tc.name, tc.guarantee)
		}
		o.Close()
	}
}
