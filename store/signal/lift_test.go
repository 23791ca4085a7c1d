package signal

import "testing"

func TestLift(t *testing.T) {
	tests := []struct {
		name    string
		in      Signal
		want    Signal
		changed bool
	}{
		{"AlignX's post", Signal{Kind: KindText, Text: "c", Meta: []byte(`{"prompt":"the post","Preference Direction":[1,0.5,0]}`)},
			Signal{Kind: KindText, Text: "c", Post: "the post", Meta: []byte(`{"Preference Direction":[1,0.5,0]}`)}, true},
		{"post first, and the only member", Signal{Kind: KindText, Text: "c", Meta: []byte(`{"post":"p","prompt":"q"}`)},
			Signal{Kind: KindText, Text: "c", Post: "p", Meta: []byte(`{"prompt":"q"}`)}, true},
		{"the last member", Signal{Kind: KindText, Text: "c", Meta: []byte(`{"a":{"b":[1,"x"]},"prompt":"p \u00e9\n"}`)},
			Signal{Kind: KindText, Text: "c", Post: "p é\n", Meta: []byte(`{"a":{"b":[1,"x"]}}`)}, true},
		{"alone", Signal{Kind: KindText, Text: "c", Meta: []byte(`{"prompt":"p"}`)}, Signal{Kind: KindText, Text: "c", Post: "p"}, true},
		{"not a string", Signal{Kind: KindText, Text: "c", Meta: []byte(`{"prompt":7}`)}, Signal{Kind: KindText, Text: "c", Meta: []byte(`{"prompt":7}`)}, false},
		{"blank", Signal{Kind: KindText, Text: "c", Meta: []byte(`{"prompt":" "}`)}, Signal{Kind: KindText, Text: "c", Meta: []byte(`{"prompt":" "}`)}, false},
		{"a NUL", Signal{Kind: KindText, Text: "c", Meta: []byte(`{"prompt":"a\u0000"}`)}, Signal{Kind: KindText, Text: "c", Meta: []byte(`{"prompt":"a\u0000"}`)}, false},
		{"a post already", Signal{Kind: KindText, Text: "c", Post: "p", Meta: []byte(`{"prompt":"q"}`)}, Signal{Kind: KindText, Text: "c", Post: "p", Meta: []byte(`{"prompt":"q"}`)}, false},
		{"a key that only looks like it", Signal{Kind: KindText, Text: "c", Meta: []byte(`{"x":"\"prompt\""}`)}, Signal{Kind: KindText, Text: "c", Meta: []byte(`{"x":"\"prompt\""}`)}, false},
		{"a pair's meta stays", Signal{Kind: KindPair, Meta: []byte(`{"prompt":"p"}`)}, Signal{Kind: KindPair, Meta: []byte(`{"prompt":"p"}`)}, false},
		{"a profile's source", Signal{Kind: KindProfile, Text: "t", Meta: []byte(`{"source":"survey"}`)}, Signal{Kind: KindProfile, Text: "t", Source: "survey"}, true},
		{"demographics by id", Signal{ID: "demographics", Kind: KindProfile, Text: "t"}, Signal{ID: "demographics", Kind: KindProfile, Text: "t", Source: SourceDemographics}, true},
		{"demographics by source", Signal{ID: "p", Kind: KindProfile, Text: "t", Meta: []byte(`{"source":"demographics"}`)}, Signal{ID: "p", Kind: KindProfile, Text: "t", Source: SourceDemographics}, true},
		{"AlignX's profile", Signal{ID: "profile", Kind: KindProfile, Text: "t"}, Signal{ID: "profile", Kind: KindProfile, Text: "t"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.in
			if changed := Lift(&s); changed != tt.changed || s.Post != tt.want.Post || s.Source != tt.want.Source || string(s.Meta) != string(tt.want.Meta) {
				t.Errorf("Lift = %v: post %q, source %q, meta %s; want %v: post %q, source %q, meta %s", changed, s.Post, s.Source, s.Meta,
					tt.changed, tt.want.Post, tt.want.Source, tt.want.Meta)
			}
			if again := s; Lift(&again) {
				t.Errorf("a second Lift changed %+v", s)
			}
		})
	}
}

// A post counts in a record's content id only when it is set, so that
// the ids of records without one are what they were.
func TestContentIDWithPost(t *testing.T) {
	s := Signal{Kind: KindText, Text: "c"}
	before := ContentID(&s)
	s.Post = "p"
	if ContentID(&s) == before {
		t.Error("the post does not count in the content id")
	}
	if s.Post = ""; ContentID(&s) != before {
		t.Error("the content id of a text without a post changed")
	}
}
