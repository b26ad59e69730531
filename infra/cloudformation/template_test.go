// Package cloudformation holds the deployment template. These tests check
// what CloudFormation would only reject at deploy time (references to
// undeclared names, handlers the binary does not have), and the rules of
// AWS's that a template can break without an error: each such test quotes
// the rule.
package cloudformation

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestTemplateReferencesResolve(t *testing.T) {
	root := loadTemplate(t)
	names := map[string]bool{
		"AWS::Partition": true, "AWS::Region": true, "AWS::AccountId": true,
		"AWS::StackName": true, "AWS::NoValue": true, "AWS::URLSuffix": true,
	}
	for _, section := range []string{"Parameters", "Resources"} {
		for k := range mapping(t, root, section) {
			names[k] = true
		}
	}
	conditions := mapping(t, root, "Conditions")
	subVar := regexp.MustCompile(`\$\{([A-Za-z0-9:]+)(\.[A-Za-z.]+)?\}`)
	var walk func(n *yaml.Node)
	refs := 0
	walk = func(n *yaml.Node) {
		switch n.Tag {
		case "!Ref":
			refs++
			if !names[n.Value] {
				t.Errorf("line %d: !Ref %s names nothing declared", n.Line, n.Value)
			}
		case "!GetAtt":
			refs++
			res, _, _ := strings.Cut(n.Value, ".")
			if !names[res] {
				t.Errorf("line %d: !GetAtt %s names no resource", n.Line, n.Value)
			}
		case "!Sub":
			for _, m := range subVar.FindAllStringSubmatch(n.Value, -1) {
				refs++
				if !names[m[1]] {
					t.Errorf("line %d: !Sub ${%s} names nothing declared", n.Line, m[1])
				}
			}
		case "!If":
			if len(n.Content) > 0 && conditions[n.Content[0].Value] == nil {
				t.Errorf("line %d: !If %s names no condition", n.Line, n.Content[0].Value)
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	if refs < 10 {
		t.Fatalf("found only %d references: the walk is not seeing the template", refs)
	}
}

func TestTemplateFunctionsUseKnownHandlers(t *testing.T) {
	known := map[string]bool{"ingest": true, "transform": true, "firehose": true, "forward": true}
	seen := map[string]bool{}
	for name, res := range templateResources(t) {
		if get(res, "Type").Value != "AWS::Lambda::Function" {
			continue
		}
		props := get(res, "Properties")
		if r := get(props, "Runtime").Value; r != "provided.al2023" {
			t.Errorf("%s: runtime %q, want provided.al2023", name, r)
		}
		if h := get(props, "Handler").Value; h != "bootstrap" {
			t.Errorf("%s: handler %q, want bootstrap", name, h)
		}
		handler := get(get(get(props, "Environment"), "Variables"), "ELBSTREAM_HANDLER").Value
		if !known[handler] {
			t.Errorf("%s: ELBSTREAM_HANDLER=%q is not one of the binary's handlers", name, handler)
		}
		seen[handler] = true
	}
	for _, h := range []string{"ingest", "transform", "forward"} {
		if !seen[h] {
			t.Errorf("no function runs the %s handler", h)
		}
	}
}

func mapping(t *testing.T, n *yaml.Node, key string) map[string]*yaml.Node {
	t.Helper()
	m := map[string]*yaml.Node{}
	v := get(n, key)
	for i := 0; i+1 < len(v.Content); i += 2 {
		m[v.Content[i].Value] = v.Content[i+1]
	}
	return m
}

// get returns the value under key in a mapping node, or an empty node.
func get(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	}
	return &yaml.Node{}
}

// loadTemplate returns the template's root mapping.
func loadTemplate(t *testing.T) *yaml.Node {
	t.Helper()
	raw, err := os.ReadFile("elbstream.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("elbstream.yaml: %v", err)
	}
	return doc.Content[0]
}

func templateResources(t *testing.T) map[string]*yaml.Node {
	t.Helper()
	return mapping(t, loadTemplate(t), "Resources")
}

// refersTo reports whether n (a !Ref, !GetAtt or !Sub, or a node holding
// one) names resource.
func refersTo(n *yaml.Node, resource string) bool {
	if n == nil {
		return false
	}
	if (n.Tag == "!Ref" || n.Tag == "!GetAtt") && strings.SplitN(n.Value, ".", 2)[0] == resource {
		return true
	}
	if n.Tag == "!Sub" && strings.Contains(n.Value, "${"+resource) {
		return true
	}
	for _, c := range n.Content {
		if refersTo(c, resource) {
			return true
		}
	}
	return false
}

// EventBridge invokes ingest asynchronously, and ingest continues a long
// object with an asynchronous invocation of itself. AWS: "By default,
// Lambda retries an asynchronous invocation twice if the function returns
// an error. ... When an event fails all processing attempts or stays in the
// asynchronous invocation queue for too long, Lambda discards it. To retain
// discarded events, configure a dead-letter queue". Without one (or an
// on-failure destination) a notification or a continuation that fails
// three times is lost without a trace but a log line.
func TestTemplateKeepsIngestFailures(t *testing.T) {
	res := templateResources(t)
	// EventBridge's own retries end in a dead-letter queue too: an event
	// it could not deliver to the function (throttled for a day) is kept.
	for _, target := range get(get(res["IngestRule"], "Properties"), "Targets").Content {
		if get(get(target, "DeadLetterConfig"), "Arn").Kind == 0 {
			t.Errorf("IngestRule target %s has no DeadLetterConfig", get(target, "Id").Value)
		}
	}
	fn := get(res["IngestFunction"], "Properties")
	if get(get(fn, "DeadLetterConfig"), "TargetArn").Kind != 0 {
		return
	}
	for _, r := range res {
		if get(r, "Type").Value != "AWS::Lambda::EventInvokeConfig" {
			continue
		}
		p := get(r, "Properties")
		if refersTo(get(p, "FunctionName"), "IngestFunction") &&
			get(get(get(p, "DestinationConfig"), "OnFailure"), "Destination").Kind != 0 {
			return
		}
	}
	t.Error("IngestFunction has no DeadLetterConfig and no AWS::Lambda::EventInvokeConfig with an OnFailure destination: " +
		"an S3 notification (or a continuation) whose three attempts fail is discarded by Lambda")
}

// ingest continues an object by invoking itself through the Lambda Invoke
// API (aws-sdk-go-v2 forwards the X-Ray trace header, the lineage Lambda
// counts). AWS Compute Blog, "Detecting and stopping recursive loops in
// AWS Lambda functions": the control applies "when invoking functions
// directly using the Lambda invoke API. Lambda now detects functions that
// appear to be running in a recursive loop and drops requests after
// exceeding 16 invocations." The default RecursiveLoop is Terminate; the
// 17th continuation of a chain would be dropped (and, with no DLQ, lost).
func TestTemplateAllowsIngestToContinueItself(t *testing.T) {
	fn := get(templateResources(t)["IngestFunction"], "Properties")
	if v := get(fn, "RecursiveLoop").Value; v != "Allow" {
		t.Errorf("IngestFunction RecursiveLoop = %q (default Terminate), want Allow: ingest invokes itself by design", v)
	}
}

// ingest skips an object deleted since its notification as "missing"
// only when S3 says NoSuchKey. S3 GetObject: "If the object you request
// doesn't exist, the error that Amazon S3 returns depends on whether you
// also have the s3:ListBucket permission. ... If you don't have the
// s3:ListBucket permission, Amazon S3 returns an HTTP status code 403
// Forbidden error." With GetObject alone the missing object is a failure.
func TestTemplateLetsIngestTellMissingObjects(t *testing.T) {
	role := get(templateResources(t)["IngestRole"], "Properties")
	for _, pol := range get(role, "Policies").Content {
		for _, st := range get(get(pol, "PolicyDocument"), "Statement").Content {
			acts := get(st, "Action")
			has := acts.Value == "s3:ListBucket"
			for _, a := range acts.Content {
				has = has || a.Value == "s3:ListBucket"
			}
			if has {
				return
			}
		}
	}
	t.Error("IngestRole grants s3:GetObject without s3:ListBucket on the log bucket: " +
		"an object deleted after its notification reads as 403 AccessDenied, not NoSuchKey, and fails instead of being skipped")
}
