package elblog_test

import (
	"fmt"
	"os"

	"github.com/elbstream/elbstream/transform/elblog"
)

func ExampleEncoder_AppendJSON() {
	enc := elblog.Encoder{Fields: []elblog.Field{{Key: "labels.env", Value: "prod"}}}
	line := []byte(`2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -` + "\n")
	var dst []byte
	dst, outcome, err := enc.AppendJSON(dst, line, elblog.Provenance{Source: "s3://my-logs/elb.log", Position: 0})
	fmt.Println(outcome, err)
	os.Stdout.Write(append(dst, '\n'))
	// Output:
	// parsed <nil>
	// {"@timestamp":"2015-05-13T23:39:43.945958Z","event":{"id":"dajPqm3rsu938iFCZJsDAAAAAAAAAAAA","kind":"event","category":"web","dataset":"aws.elb","outcome":"success"},"cloud":{"provider":"aws"},"source":{"ip":"192.168.131.39","port":2817},"http":{"request":{"method":"GET","body":{"bytes":0}},"response":{"status_code":200,"body":{"bytes":29}},"version":"1.1"},"url":{"original":"http://www.example.com:80/","scheme":"http","domain":"www.example.com","port":80,"path":"/"},"user_agent":{"original":"curl/7.38.0"},"aws":{"elb":{"name":"my-loadbalancer","protocol":"http","backend":{"ip":"10.0.0.1","port":80,"http":{"response":{"status_code":200}}},"request_processing_time":{"sec":0.000073},"backend_processing_time":{"sec":0.001048},"response_processing_time":{"sec":0.000057}}},"labels":{"env":"prod"}}
}

func ExampleEncoder_AppendJSON_failure() {
	var enc elblog.Encoder
	dst, outcome, err := enc.AppendJSON(nil, []byte("not a log line"), elblog.Provenance{Source: "-", Position: 7})
	fmt.Println(outcome)
	fmt.Println(err)
	fmt.Println(string(dst))
	// Output:
	// failed
	// auto: at byte 0: not a load-balancer log line (want an ALB type, "tls" or a timestamp first): "not"
	// {"event":{"id":"OXPgIukyIPkhLBjQ0MVDAAAAAAAAAAAH","kind":"pipeline_error","original":"not a log line"},"error":{"message":"auto: at byte 0: not a load-balancer log line (want an ALB type, \"tls\" or a timestamp first): \"not\""},"tags":["_elbparsefailure"]}
}
