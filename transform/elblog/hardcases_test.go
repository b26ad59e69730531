package elblog_test

// hardCaseLines are lines with the cases real logs contain; the table tests
// below check what each becomes, and FuzzParse starts from them.
var hardCaseLines = []string{
	// IPv6 client
	`http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 2001:db8::1:51234 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - -`,
	// \x22 and \x5C
	`h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "user\x22agent\x22 \x5C(Java\x5C)" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2`,
	// spaces inside the URL
	`http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/a b/c d?q=x y HTTP/1.1" "curl/7.46.0" - -`,
	// CRLF line ending
	"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.38.0\" - -\r\n",
	// invalid UTF-8
	"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 \"GET http://www.example.com:80/\xff HTTP/1.1\" \"caf\xe9 \xc3\xa9\" - -",
	// fields AWS may add later
	`http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90 "-" "-" "-" "new \x22field\x22" 42`,
	// control line
	"Enable AccessLog for ELB: app/elb-name/abc123456 at 2025-05-30T16:47:00.781Z",
	// not a log line
	`{"this":"is json"}`,
}
