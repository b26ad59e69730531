package kpl

import (
	"bytes"
	"crypto/md5"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// kplDescriptor is the KPL's aggregation-format.md schema, without the
// elbstream extension fields, as the KCL's generated code knows it.
func kplDescriptor(t *testing.T) protoreflect.MessageDescriptor {
	t.Helper()
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	req := descriptorpb.FieldDescriptorProto_LABEL_REQUIRED.Enum()
	rep := descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
	str := descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()
	u64 := descriptorpb.FieldDescriptorProto_TYPE_UINT64.Enum()
	byt := descriptorpb.FieldDescriptorProto_TYPE_BYTES.Enum()
	msg := descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
	field := func(name string, num int32, l *descriptorpb.FieldDescriptorProto_Label, typ *descriptorpb.FieldDescriptorProto_Type, typeName string) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Label: l, Type: typ}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	fd := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("kpl_test.proto"),
		Package: proto.String("kpltest"),
		Syntax:  proto.String("proto2"),
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("AggregatedRecord"), Field: []*descriptorpb.FieldDescriptorProto{
				field("partition_key_table", 1, rep, str, ""),
				field("explicit_hash_key_table", 2, rep, str, ""),
				field("records", 3, rep, msg, ".kpltest.Record"),
			}},
			{Name: proto.String("Tag"), Field: []*descriptorpb.FieldDescriptorProto{
				field("key", 1, req, str, ""),
				field("value", 2, opt, str, ""),
			}},
			{Name: proto.String("Record"), Field: []*descriptorpb.FieldDescriptorProto{
				field("partition_key_index", 1, req, u64, ""),
				field("explicit_hash_key_index", 2, opt, u64, ""),
				field("data", 3, req, byt, ""),
				field("tags", 4, rep, msg, ".kpltest.Tag"),
			}},
		},
	}
	f, err := protodesc.NewFile(fd, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f.Messages().ByName("AggregatedRecord")
}

// referenceDecode deaggregates with the generic protobuf runtime, as a
// consumer generated from the KPL schema would (required fields checked),
// and reads the elbstream extension from the unknown fields with protowire.
func referenceDecode(t *testing.T, md protoreflect.MessageDescriptor, data []byte) []Record {
	t.Helper()
	if !bytes.HasPrefix(data, Magic[:]) {
		t.Fatal("no magic")
	}
	pb := data[4 : len(data)-16]
	if sum := md5.Sum(pb); !bytes.Equal(sum[:], data[len(data)-16:]) {
		t.Fatal("md5 mismatch")
	}
	m := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(pb, m); err != nil {
		t.Fatalf("generic protobuf parse: %v", err)
	}
	list := func(m protoreflect.Message, name protoreflect.Name) protoreflect.List {
		return m.Get(m.Descriptor().Fields().ByName(name)).List()
	}
	pks, ehks := list(m, "partition_key_table"), list(m, "explicit_hash_key_table")
	var sources []string
	eachUnknown(t, m.GetUnknown(), func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) {
		if num == 1000 && typ == protowire.BytesType {
			sources = append(sources, string(v))
		}
	})
	recs := list(m, "records")
	out := make([]Record, recs.Len())
	for i := range out {
		r := recs.Get(i).Message()
		rf := r.Descriptor().Fields()
		o := Record{
			PartitionKey: pks.Get(int(r.Get(rf.ByName("partition_key_index")).Uint())).String(),
			Data:         r.Get(rf.ByName("data")).Bytes(),
			Position:     -1,
		}
		if f := rf.ByName("explicit_hash_key_index"); r.Has(f) {
			o.ExplicitHashKey = ehks.Get(int(r.Get(f).Uint())).String()
		}
		eachUnknown(t, r.GetUnknown(), func(num protowire.Number, typ protowire.Type, _ []byte, u uint64) {
			switch {
			case num == 1000 && typ == protowire.VarintType:
				o.Source = sources[u]
			case num == 1001 && typ == protowire.VarintType:
				o.Position = int64(u)
			default:
				t.Errorf("unexpected unknown field %d", num)
			}
		})
		out[i] = o
	}
	return out
}

func eachUnknown(t *testing.T, b []byte, fn func(protowire.Number, protowire.Type, []byte, uint64)) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatal(protowire.ParseError(n))
		}
		b = b[n:]
		switch typ {
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				t.Fatal(protowire.ParseError(n))
			}
			fn(num, typ, v, 0)
			b = b[n:]
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				t.Fatal(protowire.ParseError(n))
			}
			fn(num, typ, nil, v)
			b = b[n:]
		default:
			t.Fatalf("unexpected wire type %d", typ)
		}
	}
}

// The aggregator's output parses with the generic protobuf runtime against
// the KPL's own schema — required fields present, the elbstream fields kept
// as unknown fields — and means the same as what our decoder reads.
func TestDifferentialGenericProtobuf(t *testing.T) {
	md := kplDescriptor(t)
	rng := rand.New(rand.NewPCG(3, 4))
	in := randomRecords(rng, 400)
	a := &Aggregator{MaxBytes: 8000}
	i := 0
	for _, e := range aggregate(t, a, in) {
		ref := referenceDecode(t, md, e.Data)
		ours := decodeAll(t, e.Data)
		if len(ref) != len(ours) {
			t.Fatalf("reference decoded %d records, ours %d", len(ref), len(ours))
		}
		for j := range ref {
			if !equalRecords(ref[j], ours[j]) || !equalRecords(ref[j], in[i]) {
				t.Fatalf("record %d:\nreference %+v\n     ours %+v\n    input %+v", i, ref[j], ours[j], in[i])
			}
			i++
		}
	}
	if i != len(in) {
		t.Fatalf("decoded %d of %d records", i, len(in))
	}
}

// Our decoder reads what the generic runtime writes from the KPL schema.
func TestDecodeGenericProtobufOutput(t *testing.T) {
	md := kplDescriptor(t)
	m := dynamicpb.NewMessage(md)
	f := md.Fields()
	pks := m.Mutable(f.ByName("partition_key_table")).List()
	pks.Append(protoreflect.ValueOfString("a"))
	pks.Append(protoreflect.ValueOfString("b"))
	ehks := m.Mutable(f.ByName("explicit_hash_key_table")).List()
	ehks.Append(protoreflect.ValueOfString("12345"))
	recs := m.Mutable(f.ByName("records")).List()
	for i, pk := range []int{1, 0, 1} {
		r := recs.NewElement().Message()
		rf := r.Descriptor().Fields()
		r.Set(rf.ByName("partition_key_index"), protoreflect.ValueOfUint64(uint64(pk)))
		r.Set(rf.ByName("data"), protoreflect.ValueOfBytes([]byte{byte('x' + i)}))
		if i == 1 {
			r.Set(rf.ByName("explicit_hash_key_index"), protoreflect.ValueOfUint64(0))
			tags := r.Mutable(rf.ByName("tags")).List()
			tag := tags.NewElement().Message()
			tag.Set(tag.Descriptor().Fields().ByName("key"), protoreflect.ValueOfString("k"))
			tags.Append(protoreflect.ValueOfMessage(tag))
		}
		recs.Append(protoreflect.ValueOfMessage(r))
	}
	pb, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeAll(t, withDigest(pb))
	want := []Record{
		{PartitionKey: "b", Data: []byte("x"), Position: -1},
		{PartitionKey: "a", ExplicitHashKey: "12345", Data: []byte("y"), Position: -1},
		{PartitionKey: "b", Data: []byte("z"), Position: -1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records", len(got))
	}
	for i := range want {
		if !equalRecords(got[i], want[i]) {
			t.Fatalf("record %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}
