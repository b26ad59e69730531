package stream

import (
	"fmt"
	"strings"
	"testing"
)

// shardTree builds shards from "ID<PARENT+ADJACENT" items, e.g.
// "3<1+2" is shard 3 merged from 1 and adjacent 2; "1<0" split from 0.
func shardTree(items ...string) []Shard {
	var shards []Shard
	for _, it := range items {
		id, parents, _ := strings.Cut(it, "<")
		parent, adjacent, _ := strings.Cut(parents, "+")
		shards = append(shards, Shard{ID: id, ParentID: parent, AdjacentParentID: adjacent})
	}
	return shards
}

func ids(shards []Shard) string {
	s := make([]string, len(shards))
	for i, sh := range shards {
		s[i] = sh.ID
	}
	return strings.Join(s, ",")
}

func TestReady(t *testing.T) {
	// 0 splits into 1 and 2; 1 splits into 3 and 4; 4 and 2 merge into 5.
	//
	//	0 ─┬─ 1 ─┬─ 3
	//	   │     └─ 4 ─┐
	//	   └─ 2 ───────┴─ 5
	tree := shardTree("0", "1<0", "2<0", "3<1", "4<1", "5<4+2")
	tests := []struct {
		name     string
		shards   []Shard
		finished string
		want     string
	}{
		{"only the root at first", tree, "", "0"},
		{"both children of a split", tree, "0", "1,2"},
		{"split child's children wait for it", tree, "0,2", "1"},
		{"grandchildren after their parent", tree, "0,1", "2,3,4"},
		{"merge waits for the adjacent parent", tree, "0,1,4", "2,3"},
		{"merge waits for the parent", tree, "0,1,2", "3,4"},
		{"merge after both parents", tree, "0,1,2,4", "3,5"},
		{"all finished", tree, "0,1,2,3,4,5", ""},
		{"parents past retention", shardTree("3<1", "4<1", "5<4+2"), "", "3,4"},
		{"adjacent parent past retention", shardTree("4<1", "5<4+2"), "4", "5"},
		{"several roots", shardTree("0", "1", "2<0+1"), "0", "1"},
		{"empty", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := map[string]bool{}
			for _, id := range strings.Split(tt.finished, ",") {
				done[id] = true
			}
			got := ids(Ready(tt.shards, func(id string) bool { return done[id] }))
			if got != tt.want {
				t.Errorf("Ready(finished %s) = [%s], want [%s]", tt.finished, got, tt.want)
			}
		})
	}
}

// TestReadyOrder walks a tree the way a consumer does — read what is ready,
// mark it finished, ask again — and checks that every shard is read once,
// after its parents.
func TestReadyOrder(t *testing.T) {
	tree := shardTree("0", "1", "2<0", "3<0", "4<3+1", "5<2", "6<2", "7<6+4")
	done := map[string]bool{}
	var order []string
	for round := 0; round < len(tree)+1; round++ {
		ready := Ready(tree, func(id string) bool { return done[id] })
		if len(ready) == 0 {
			break
		}
		for _, s := range ready {
			for _, p := range []string{s.ParentID, s.AdjacentParentID} {
				if p != "" && !done[p] {
					t.Fatalf("round %d: %s ready before its parent %s", round, s.ID, p)
				}
			}
			order = append(order, s.ID)
		}
		for _, s := range ready {
			done[s.ID] = true
		}
	}
	if len(order) != len(tree) {
		t.Fatalf("read %v, want every one of %d shards once", order, len(tree))
	}
	if got := fmt.Sprint(order); got != "[0 1 2 3 4 5 6 7]" {
		t.Errorf("order %s, want [0 1 2 3 4 5 6 7]", got)
	}
}
