package store

// Decisions between summaries (--compare summaries): labels whose
// candidates are summaries of one user rather than answers to a prompt.
// They are labels like any other (append-only, current per annotator and
// item, taken back by a retraction), told apart by their candidates'
// SummaryID: the label exports of answers leave them out, and the
// summaries export writes them as the summarizer's preference pairs.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// What a summary candidate stands for (its Condition), so that the
// comparison a label names (Comparison) says what was compared, and never
// reads as a comparison of answers.
const (
	// CandidateSummarizer is the newest summary by the writer the
	// candidate's Backend names (SummaryBackend).
	CandidateSummarizer = "summarizer"
	// CandidateVersion is one side of an edit (summaries:versions): Backend
	// VersionModel, the machine-written version a person's edit replaced,
	// or VersionHuman, the edit.
	CandidateVersion = "version"
)

// The two sides of an edit, as CandidateVersion candidates name them.
const (
	VersionModel = "model"
	VersionHuman = SourceHuman
)

// JudgesSummaries reports whether the decision is between summaries.
func (d *Decision) JudgesSummaries() bool { return judgesSummaries(d.Candidates) }

// JudgesSummaries reports whether the label is a decision between
// summaries (or takes one back).
func (l Label) JudgesSummaries() bool { return judgesSummaries(l.Candidates) }

func judgesSummaries(cands []Candidate) bool { return len(cands) > 0 && cands[0].SummaryID != "" }

// checkSummaryCandidates refuses a decision that mixes answers and
// summaries: its rows could be neither an answer's nor a summary's.
func checkSummaryCandidates(cands []Candidate) error {
	n := 0
	for _, c := range cands {
		if c.SummaryID != "" {
			n++
			if c.GenerationID != "" {
				return fmt.Errorf("candidate %s names both a summary and an answer", c.Pane)
			}
		}
	}
	if n != 0 && n != len(cands) {
		return fmt.Errorf("%d of %d candidates are summaries: a decision compares answers or summaries, not both", n, len(cands))
	}
	return nil
}

// SummaryItemID is the prompt id of a decision between summaries: it
// names the summaries compared, in slot order, so that a user whose
// summaries change (a summarizer run again, a new edit) is a new item,
// while the decision on the old texts stays current and exported.
func SummaryItemID(summaryIDs []string) string {
	h := sha256.New()
	for _, id := range summaryIDs {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return "summaries:" + hex.EncodeToString(h.Sum(nil)[:8])
}

// SummaryBackend is the name a summary's writer goes by in
// summaries:NAME,…: its backend, or for a summary stored without one the
// backend part of its source ("human" for a person's, "heuristic" for the
// offline baseline's).
func SummaryBackend(s Summary) string {
	if s.Backend != "" {
		return s.Backend
	}
	name, _, _ := strings.Cut(s.Source, "/")
	return name
}

// MachineAncestor follows a version's parents to the nearest one a person
// did not write: the text a human edit replaced. byVersion holds the
// user's versions.
func MachineAncestor(v Summary, byVersion map[int]Summary) (Summary, bool) {
	for steps := 0; v.Parent != 0 && steps < len(byVersion); steps++ { // parents are older: no cycles, but be sure
		p, ok := byVersion[v.Parent]
		if !ok {
			return Summary{}, false
		}
		if p.Source != SourceHuman {
			return p, true
		}
		v = p
	}
	return Summary{}, false
}

// EditedPair is the newest human version up to the current one that
// replaced a machine-written version (through its parents) with another
// text, and that version: the pair the summaries export makes of an edit,
// and summaries:versions shows. versions are the user's, oldest first.
func EditedPair(versions []Summary, current int) (human, replaced Summary, ok bool) {
	byVersion := make(map[int]Summary, len(versions))
	for _, v := range versions {
		byVersion[v.Version] = v
	}
	for i := len(versions) - 1; i >= 0; i-- {
		v := versions[i]
		if v.Version > current || v.Source != SourceHuman {
			continue
		}
		if r, ok := MachineAncestor(v, byVersion); ok && r.Text != v.Text {
			return v, r, true
		}
	}
	return Summary{}, Summary{}, false
}

// EachUserSummariesJudged is EachUserSummaries with each user's current
// decisions between summaries (UserSummaries.Decisions, oldest first),
// from the same snapshot: the summaries export writes an edit's pair and
// the judged pairs of a user together.
func (db *DB) EachUserSummariesJudged(fn func(UserSummaries) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		byUser, err := summaryDecisions(tx)
		if err != nil {
			return err
		}
		return eachUserSummaries(tx, byUser, fn)
	})
}

// summaryDecisions are the current decisions between summaries, by user,
// oldest first, from the listed labels only (listedSummaryLabels): the
// answers' decisions, which the summaries export never writes, are most
// of the labels.
func summaryDecisions(tx *bolt.Tx) (map[string][]*Decision, error) {
	heads, _, current, err := listedSummaryLabels(tx)
	if err != nil {
		return nil, err
	}
	byUser := map[string][]*Decision{}
	for _, i := range current {
		if d := &heads[i].Decision; d.JudgesSummaries() {
			byUser[d.User] = append(byUser[d.User], d)
		}
	}
	return byUser, nil
}
