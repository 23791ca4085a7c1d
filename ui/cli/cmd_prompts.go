package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/printsafe"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// promptsOptions are the prompts command's flags: init's, then show's.
type promptsOptions struct {
	set   string
	force bool

	user, role, condition, backend, promptID string
	signals                                  listFlag
}

const promptsHelp = `
init FILE  writes a built-in template set (--set builtin:popi, the default,
           or builtin:alignx) to FILE, to start a set of your own from; an
           existing FILE is replaced only with --force. Its version key is
           commented out: until you give it one, its version is the file's
           hash. Name it in the configuration: prompts = "FILE".
show       prints, as JSON, exactly the messages a request would send, from
           the code that sends them: --role summarizer (default) for
           --user; generator under --condition summary (default), raw or
           none, for --prompt-id (default: the user's first held-out pair or
           task); judge, with "(answer A)" and "(answer B)" standing for the
           answers. --backend names the backend whose template set and
           signals word it (default: the first configured model backend
           with the role, else the configuration's set); --signals, for
           the summarizer, the kinds of signal it is shown, as infer
           --signals does.`

// The answers prompts show puts in a judge request.
const (
	showAnswerA = "(answer A)"
	showAnswerB = "(answer B)"
)

func promptsCommand() *command {
	o := &promptsOptions{}
	return &command{
		name:    "prompts",
		uses:    useDB | useConfig,
		args:    "init FILE | show",
		valid:   []string{"init", "show"},
		summary: "write a template set to start from, or show the messages a request would send",
		help:    promptsHelp,
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&o.set, "set", engine.BuiltinPrefix+engine.BuiltinPOPI, "init: the built-in `set` to write (builtin:popi or builtin:alignx)")
			fs.BoolVar(&o.force, "force", false, "init: replace FILE if it exists")
			fs.StringVar(&o.user, "user", "", "show: the user `ID` whose request to show")
			fs.StringVar(&o.role, "role", engine.RoleSummarizer, "show: summarizer, generator or judge")
			fs.StringVar(&o.condition, "condition", "", "show: the generator's condition: summary (default), raw or none")
			fs.StringVar(&o.backend, "backend", "", "show: the backend `NAME` whose wording to show")
			fs.StringVar(&o.promptID, "prompt-id", "", "show: the task or held-out pair `ID` a generator or judge request answers")
			fs.Var(&o.signals, "signals", "show: the kinds of signal the summarizer is shown (pairs,texts,profile,demographics)")
		},
		run: func(ctx context.Context, c *runContext, args []string) error {
			if len(args) == 0 {
				return usagef("say what to do: prompts init FILE, or prompts show --user ID")
			}
			switch args[0] {
			case "init":
				if len(args) != 2 {
					return usagef("prompts init takes one FILE (- for standard output)")
				}
				if err := o.checkInit(); err != nil {
					return err
				}
				return c.promptsInit(args[1], o)
			case "show":
				if len(args) != 1 {
					return usagef("prompts show takes no arguments (name the user with --user)")
				}
				if err := o.checkShow(); err != nil {
					return err
				}
				return c.withEngine(func(ws *workspace, e *engine.Engine) error { return c.promptsShow(ws, e, o) })
			}
			return usagef("unknown prompts command %q (want init or show)", sanitize.Line(args[0]))
		},
	}
}

// checkInit refuses show's flags.
func (o *promptsOptions) checkInit() error {
	if o.user != "" || o.role != engine.RoleSummarizer || o.condition != "" || o.backend != "" || o.promptID != "" || len(o.signals) > 0 {
		return usagef("--user, --role, --condition, --backend, --prompt-id and --signals apply to prompts show")
	}
	return nil
}

// checkShow refuses init's flags and what does not apply to the role, and
// fills in the defaults.
func (o *promptsOptions) checkShow() error {
	switch {
	case o.force || o.set != engine.BuiltinPrefix+engine.BuiltinPOPI:
		return usagef("--set and --force apply to prompts init")
	case o.user == "":
		return usagef("prompts show needs --user: whose request to show")
	case !slices.Contains([]string{engine.RoleSummarizer, engine.RoleGenerator, engine.RoleJudge}, o.role):
		return usagef("--role %q: want summarizer, generator or judge", sanitize.Line(o.role))
	case o.condition != "" && o.role != engine.RoleGenerator:
		return usagef("--condition applies to --role generator")
	case o.promptID != "" && o.role == engine.RoleSummarizer:
		return usagef("--prompt-id applies to --role generator and judge: the summarizer answers no prompt")
	case len(o.signals) > 0 && o.role != engine.RoleSummarizer:
		return usagef("--signals applies to --role summarizer (a generator's signals are its backend's setting)")
	}
	if len(o.signals) > 0 {
		if err := engine.CheckSignals(o.signals); err != nil {
			return usagef("--signals: %v", err)
		}
	}
	if o.role == engine.RoleGenerator && o.condition == "" {
		o.condition = store.ConditionSummary
	}
	if err := store.CheckCondition(o.condition); o.condition != "" && err != nil {
		return usagef("--condition %q: want summary, raw or none", sanitize.Line(o.condition))
	}
	return nil
}

// promptsInit writes a built-in set to file, or to standard output for -.
func (c *runContext) promptsInit(file string, o *promptsOptions) error {
	name := strings.TrimPrefix(o.set, engine.BuiltinPrefix)
	data, err := engine.BuiltinPromptFile(name)
	if err != nil {
		return usagef("--set: %v", err)
	}
	if file == "-" {
		_, err := c.Stdout.Write(data)
		return err
	}
	// Checked before writing: a rename would replace the file silently.
	// (Another process creating it in between would lose it; prompts init
	// is run by hand, once.)
	if _, err := os.Lstat(file); err == nil && !o.force {
		return fmt.Errorf("%s exists: give --force to replace it", file)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("prompts init: %w", err)
	}
	if err := store.WriteFileAtomic(file, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return err
	}
	set, err := engine.ParsePromptSet(file, data)
	if err != nil { // the built-in sets are tested to load: this is a bug
		return fmt.Errorf("the written set does not load: %w", err)
	}
	c.eprintf("wrote the template set %s to %s; its version is %s until you give it a version key. Use it with prompts = %q in the configuration.\n",
		engine.BuiltinPrefix+name, sanitize.Line(file), set.Version(), sanitize.Line(file))
	return nil
}

// shownRequest is what prompts show prints.
type shownRequest struct {
	User        string `json:"user"`
	Role        string `json:"role"`
	Condition   string `json:"condition,omitempty"` // generator
	PromptID    string `json:"prompt_id,omitempty"` // generator, judge
	Backend     string `json:"backend"`             // "" for the configuration's wording
	TemplateSet string `json:"template_set"`
	// Signals are the kinds of signal the history was drawn from, when not
	// all of them (summarizer, generator under raw).
	Signals    []string        `json:"signals,omitempty"`
	HistoryCut bool            `json:"history_cut"`
	Messages   []store.Message `json:"messages"`
}

// promptsShow prints the request o asks for, built by the functions that
// build the real ones.
func (c *runContext) promptsShow(ws *workspace, e *engine.Engine, o *promptsOptions) error {
	signals, err := ws.db.Signals(o.user)
	if err != nil {
		return err
	}
	if len(signals) == 0 {
		return usagef("no user %q in %s", sanitize.Line(o.user), sanitize.Line(ws.db.Path()))
	}
	req, promptID, err := showRequest(ws, e, o, signals)
	if err != nil {
		return err
	}
	shown := shownRequest{User: o.user, Role: o.role, Condition: o.condition, PromptID: promptID, Backend: req.Backend,
		TemplateSet: req.TemplateSet, Signals: req.Signals, HistoryCut: req.HistoryCut, Messages: req.Messages}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(shown); err != nil {
		return err
	}
	_, err = c.Stdout.Write(printsafe.JSON([]byte(b.String()))) // the text is the user's: printed exactly, and safely
	return err
}

// showRequest builds the request of o's role, and says which prompt it
// answers.
func showRequest(ws *workspace, e *engine.Engine, o *promptsOptions, signals []store.Signal) (engine.Request, string, error) {
	if o.role == engine.RoleSummarizer {
		r, err := ws.renderer(o.backend, engine.RoleSummarizer)
		if err != nil {
			return engine.Request{}, "", err
		}
		var allowed []string
		if len(o.signals) > 0 {
			allowed = o.signals
		}
		req, err := r.Summarizer(o.user, signals, allowed)
		return req, "", err
	}
	p, err := promptToShow(signals, o.user, o.promptID)
	if err != nil {
		return engine.Request{}, "", err
	}
	if o.role == engine.RoleGenerator {
		r, err := ws.renderer(o.backend, engine.RoleGenerator)
		if err != nil {
			return engine.Request{}, "", err
		}
		req, err := r.Generator(o.user, signals, o.condition, p)
		return req, p.ID, err
	}
	judge := o.backend
	if judge == "" {
		if judge = e.DefaultBackend(engine.RoleJudge); judge == "" {
			return engine.Request{}, "", usagef("no judge backend is configured (a backend with role judge)")
		}
	}
	if _, err := e.Backend(judge, engine.RoleJudge); err != nil {
		return engine.Request{}, "", usagef("--backend: %v", err)
	}
	req, err := e.JudgeRequest(judge, o.user, p.ID, showAnswerA, showAnswerB)
	return req, p.ID, err
}

// renderer is how the backend named name (a model backend with role)
// words its requests; with name "", the first such backend's, else the
// configuration's. A name that is no such backend is a usage error.
func (ws *workspace) renderer(name, role string) (engine.Renderer, error) {
	e, err := ws.engine()
	if err != nil {
		return engine.Renderer{}, err
	}
	r, err := e.Renderer(name, role)
	if err != nil {
		return engine.Renderer{}, usagef("--backend: %v", err)
	}
	return r, nil
}

// promptToShow is the prompt a generator or judge request answers: the
// user's task or held-out pair id, or without one their first.
func promptToShow(signals []store.Signal, user, id string) (store.Signal, error) {
	var ids []string
	for _, s := range signals {
		if s.Kind != store.KindTask && (s.Kind != store.KindPair || s.Split != store.SplitHeldout) {
			continue
		}
		if id == "" || s.ID == id {
			return s, nil
		}
		ids = append(ids, s.ID)
	}
	if id == "" {
		return store.Signal{}, usagef("user %q has no task or held-out pair to answer", sanitize.Line(user))
	}
	if len(ids) > 10 {
		ids = append(ids[:10], "…")
	}
	return store.Signal{}, usagef("user %q has no task or held-out pair %q (theirs: %s)", sanitize.Line(user), sanitize.Line(id), sanitize.Line(strings.Join(ids, ", ")))
}
