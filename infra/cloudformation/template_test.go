// Package cloudformation holds the deployment template. This test checks
// what CloudFormation would only reject at deploy time: references to
// undeclared names, and handlers the binary does not have.
package cloudformation

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestTemplateReferencesResolve(t *testing.T) {
	raw, err := os.ReadFile("elbstream.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("elbstream.yaml: %v", err)
	}
	root := doc.Content[0]
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
	raw, err := os.ReadFile("elbstream.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"ingest": true, "transform": true, "firehose": true, "forward": true}
	seen := map[string]bool{}
	for name, res := range mapping(t, doc.Content[0], "Resources") {
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
