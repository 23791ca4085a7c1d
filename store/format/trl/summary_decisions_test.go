package trl

import (
	"bytes"
	"maps"
	"strings"
	"testing"
	"time"

	. "github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// fxSummaryDecision is annotator's decision between summaries of user,
// shown in the order given (pane a first); slots are the summaries' places
// in the comparison.
func fxSummaryDecision(annotator, verdict string, ss []Summary, slots ...int) Label {
	cands := make([]Candidate, len(ss))
	ids := make([]string, len(ss))
	for i, s := range ss {
		cands[i] = Candidate{Pane: PaneLetter(i), Slot: slots[i], Backend: SummaryBackend(s), Model: s.Model,
			Condition: CandidateSummarizer, SummaryID: s.ID}
	}
	for i, c := range cands {
		ids[c.Slot] = ss[i].ID
	}
	shown := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	return Label{Kind: LabelDecision, User: ss[0].User, PromptID: SummaryItemID(ids), Candidates: cands,
		Verdict: verdict, Annotator: annotator, ShownAt: shown, AppVersion: "test"}
}

// The decisions made on the Compare summaries screen are the summarizer's
// preference pairs: the export writes them after each user's edit pair,
// with the same columns, and counts what it left out by reason. The
// expected rows are written out by hand, ids filled in.
func TestExportSummaryDecisions(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxSummaryExportUsers)
	add := func(s Summary) Summary { return storetest.AddSummary(t, db, s) }
	u1a := add(Summary{User: "u1", Text: "Likes prose.", Source: "alpha/m-a", Backend: "alpha", Model: "m-a", Input: "sent to alpha"})
	u1b := add(Summary{User: "u1", Text: "Likes tables.", Source: "beta/m-b", Backend: "beta", Model: "m-b",
		Messages: []Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "sent to beta"}}})
	u1h := add(Summary{User: "u1", Text: "Likes short prose.", Source: SourceHuman, Parent: 1})
	u3b := add(Summary{User: "u3", Text: "Keeps it brief 1 of 1 times.", Source: SourceHeuristic, Backend: "heuristic", Model: "heuristic"})
	u3h := add(Summary{User: "u3", Text: "Wants brevity.", Source: SourceHuman})
	u5a := add(Summary{User: "u5", Text: "An engineer.", Source: "alpha/m-a", Backend: "alpha", Input: "sent for u5"})
	u5b := add(Summary{User: "u5", Text: "Engineer.", Source: "beta/m-b", Backend: "beta", Input: "sent for u5"})

	var before bytes.Buffer
	if _, err := ExportSummaries(db, &before, SummaryExport{Format: SummariesPairs, Input: fxSummarizerInput}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []Label{
		fxSummaryDecision("kim", "a", []Summary{u1b, u1a}, 1, 0),                      // beta shown first and chosen
		fxSummaryDecision("lee", VerdictTie, []Summary{u1a, u1b}, 0, 1),               // the same item: a tie
		fxSummaryDecision("kim", "c", []Summary{u1a, u1b, u1h}, 0, 1, 2),              // the edit best of three
		fxSummaryDecision("kim", "b", []Summary{u3b, u3h}, 0, 1),                      // no stored input: rebuilt
		fxSummaryDecision("kim", VerdictSkip, []Summary{u5a, u5b}, 0, 1),              // skipped
		fxSummaryDecision("lee", VerdictBothBad, []Summary{u5a, u5b}, 0, 1),           // all bad
		fxSummaryDecision("max", "a", []Summary{u5a, {ID: "gone", User: "u5"}}, 0, 1), // merged in without its summary
		storetest.Decision("kim", "u1", "t1", "a"),                                    // an answer decision: not the summarizer's
	} {
		storetest.AddLabel(t, db, l)
	}

	var buf bytes.Buffer
	rep, err := ExportSummaries(db, &buf, SummaryExport{Format: SummariesPairs, Input: fxSummarizerInput})
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.NewReplacer("{u1a}", u1a.ID, "{u1b}", u1b.ID, "{u1h}", u1h.ID, "{u3b}", u3b.ID, "{u3h}", u3h.ID)
	want := ids.Replace(`{"prompt":"sent to alpha","chosen":"Likes short prose.","rejected":"Likes prose.","system":"","user":"u1","chosen_summary_id":"{u1h}","chosen_version":3,"rejected_summary_id":"{u1a}","rejected_version":1,"rejected_source":"alpha/m-a","prompt_source":"stored","prompt_summary_id":"{u1a}"}
{"prompt":"sent to beta","chosen":"Likes tables.","rejected":"Likes prose.","system":"be brief","user":"u1","chosen_summary_id":"{u1b}","chosen_version":2,"rejected_summary_id":"{u1a}","rejected_version":1,"rejected_source":"alpha/m-a","prompt_source":"stored","prompt_summary_id":"{u1b}"}
{"prompt":"sent to alpha","chosen":"Likes short prose.","rejected":"Likes prose.","system":"","user":"u1","chosen_summary_id":"{u1h}","chosen_version":3,"rejected_summary_id":"{u1a}","rejected_version":1,"rejected_source":"alpha/m-a","prompt_source":"stored","prompt_summary_id":"{u1a}"}
{"prompt":"sent to alpha","chosen":"Likes short prose.","rejected":"Likes tables.","system":"","user":"u1","chosen_summary_id":"{u1h}","chosen_version":3,"rejected_summary_id":"{u1b}","rejected_version":2,"rejected_source":"beta/m-b","prompt_source":"stored","prompt_summary_id":"{u1a}"}
{"prompt":"summarize u3: text/c1","chosen":"Wants brevity.","rejected":"Keeps it brief 1 of 1 times.","system":"","user":"u3","chosen_summary_id":"{u3h}","chosen_version":2,"rejected_summary_id":"{u3b}","rejected_version":1,"rejected_source":"heuristic","prompt_source":"rebuilt","prompt_summary_id":""}
`)
	if got := buf.String(); got != want {
		t.Errorf("rows:\n%s\nwant:\n%s", got, want)
	}
	// The edit's row is the row written before any decision, byte for byte.
	if first, _, _ := strings.Cut(buf.String(), "\n"); before.String() != first+"\n" {
		t.Errorf("the edit's row changed:\n%s\nbefore:\n%s", first, before.String())
	}
	wantLeft := map[string]int{LeftOutTie: 1, LeftOutAllBad: 1, LeftOutSkipped: 1, LeftOutNoSummaryText: 1, LeftOutNoHistory: 0}
	if rep.Rows != 5 || rep.DecisionRows != 4 || rep.Decisions != 7 || rep.RebuiltPrompts != 1 || !maps.Equal(rep.DecisionsLeftOut, wantLeft) {
		t.Errorf("report %+v; want 5 rows, 4 of them from 7 decisions, left out %v", rep, wantLeft)
	}

	// Conversational: the prompt as sent, the summaries as assistant turns.
	buf.Reset()
	if _, err := ExportSummaries(db, &buf, SummaryExport{Format: SummariesPairs, Conversational: true, Input: fxSummarizerInput}); err != nil {
		t.Fatal(err)
	}
	second := strings.Split(buf.String(), "\n")[1]
	if want := ids.Replace(`{"prompt":[{"role":"system","content":"be brief"},{"role":"user","content":"sent to beta"}],"chosen":[{"role":"assistant","content":"Likes tables."}],"rejected":[{"role":"assistant","content":"Likes prose."}],"user":"u1","chosen_summary_id":"{u1b}","chosen_version":2,"rejected_summary_id":"{u1a}","rejected_version":1,"rejected_source":"alpha/m-a","prompt_source":"stored","prompt_summary_id":"{u1b}"}`); second != want {
		t.Errorf("conversational row:\n%s\nwant:\n%s", second, want)
	}

	// The label exports of answers leave decisions between summaries out;
	// raw, the records as stored, keeps them.
	for format, decisions := range map[string]int{LabelsDPO: 1, LabelsKTO: 1, LabelsRaw: 8} {
		buf.Reset()
		rep, err := ExportLabels(db, &buf, LabelExport{Format: format})
		if err != nil || rep.Decisions != decisions {
			t.Errorf("labels %s: %d decisions (err %v), want %d", format, rep.Decisions, err, decisions)
		}
		if format != LabelsRaw && strings.Contains(buf.String(), "summaries:") {
			t.Errorf("labels %s writes a decision between summaries:\n%s", format, buf.String())
		}
	}
	// sft is the edits' only.
	buf.Reset()
	if rep, err := ExportSummaries(db, &buf, SummaryExport{Format: SummariesSFT, Input: fxSummarizerInput}); err != nil || rep.Decisions != 0 || rep.Rows != 2 {
		t.Errorf("sft: report %+v, err %v; want the 2 edits' rows only", rep, err)
	}
}
