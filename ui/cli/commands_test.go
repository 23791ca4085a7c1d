package cli

import (
	"runtime/debug"
	"strings"
	"testing"
)

// popi-tui completion SHELL prints a script for that shell, naming the
// program; an unknown shell is a usage error.
func TestCompletion(t *testing.T) {
	for _, tt := range []struct{ shell, want string }{
		{"bash", "complete -o default -F __start_popi-tui popi-tui"},
		{"zsh", "#compdef popi-tui"},
		{"fish", "complete -c popi-tui"},
		{"powershell", "Register-ArgumentCompleter"},
	} {
		t.Run(tt.shell, func(t *testing.T) {
			e := newTestEnv(t)
			r := e.mustRun(ExitOK, "completion", tt.shell)
			if !strings.Contains(r.stdout, tt.want) || r.stderr != "" {
				t.Errorf("stdout lacks %q (stderr %q):\n%.300s", tt.want, r.stderr, r.stdout)
			}
			if exists(e.defaultDB()) {
				t.Error("completion created the default database")
			}
		})
	}
	e := newTestEnv(t)
	e.mustRun(ExitUsage, "completion", "tcsh")
}

// The shell asks the program what completes a word: commands, then a
// command's flags.
func TestCompletionAnswers(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{[]string{"__complete", "im"}, []string{"import"}, []string{"export"}},
		{[]string{"__complete", "export", "--"}, []string{"--output\t", "--json\t", "--db\t", "--config\t"}, []string{"--annotator\t", "--theme\t"}},
		{[]string{"__complete", "help", ""}, []string{"stats", "queue"}, nil},
		{[]string{"__complete", "export", ""}, []string{"labels", "summaries", "users", "pairs", "summarizer"}, nil},
		{[]string{"__complete", "config", ""}, []string{"init", "path", "check"}, nil},
		{[]string{"__complete", "completion", ""}, []string{"bash", "zsh", "fish", "powershell"}, nil},
	} {
		e := newTestEnv(t)
		r := e.mustRun(ExitOK, tt.args...)
		for _, w := range tt.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%q: lacks %q:\n%s", tt.args, w, r.stdout)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(r.stdout, w) {
				t.Errorf("%q: offers %q:\n%s", tt.args, w, r.stdout)
			}
		}
	}
}

// help COMMAND is COMMAND --help; help of a command that does not exist is
// a usage error.
func TestHelpCommand(t *testing.T) {
	e := newTestEnv(t)
	for _, cmd := range []string{"import", "stats", "queue", "version", "man"} {
		want := e.mustRun(ExitOK, cmd, "--help").stdout
		if got := e.mustRun(ExitOK, "help", cmd).stdout; got != want || !strings.HasPrefix(got, "Usage: popi-tui "+cmd) {
			t.Errorf("help %s:\n%s\nwant %s --help:\n%s", cmd, got, cmd, want)
		}
	}
	if got, want := e.mustRun(ExitOK, "help").stdout, e.mustRun(ExitOK, "--help").stdout; got != want {
		t.Errorf("help:\n%s\nwant --help:\n%s", got, want)
	}
	r := e.mustRun(ExitUsage, "help", "frobnicate")
	if !strings.Contains(r.stderr, `no help for "frobnicate"`) || r.stdout != "" {
		t.Errorf("help frobnicate: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

// Single-dash long flags are refused: flags are double-dashed, as in gh
// and kubectl (-h and -o are the short ones).
func TestSingleDashLongFlagIsUsageError(t *testing.T) {
	for _, args := range [][]string{{"-version"}, {"-db", "x.db", "stats"}, {"stats", "-json"}} {
		e := newTestEnv(t)
		r := e.mustRun(ExitUsage, args...)
		if !strings.Contains(r.stderr, "unknown shorthand flag") || exists(e.path("x.db")) {
			t.Errorf("%q: stderr %q", args, r.stderr)
		}
	}
}

// version and --version print the same line.
func TestVersionCommand(t *testing.T) {
	e := newTestEnv(t)
	r := e.mustRun(ExitOK, "version")
	if r.stdout != "popi-tui 9.8.7-test\n" || r.stdout != e.mustRun(ExitOK, "--version").stdout {
		t.Errorf("version printed %q", r.stdout)
	}
	e.mustRun(ExitUsage, "version", "extra")
}

// The version names the source: a tag, or a clone's revision and date;
// never "(devel)" alone.
func TestVersionOf(t *testing.T) {
	vcs := func(v string, kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/popi-tui/popi-tui", Version: v}}
		for i := 0; i+1 < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	for _, tt := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"go install @tag", vcs("v1.2.3"), "v1.2.3"},
		{"clone", vcs("v0.0.0-20261203075744-202dd9ae892e", "vcs.revision", "202dd9ae892e2af1383ebc7d7523103a8e03f9f2", "vcs.time", "2026-12-03T07:57:44Z", "vcs.modified", "false"),
			"v0.0.0-20261203075744-202dd9ae892e (revision 202dd9ae892e, 2026-12-03T07:57:44Z)"},
		{"clone with changes", vcs("(devel)", "vcs.revision", "202dd9ae892e2af1", "vcs.time", "2026-12-03T07:57:44Z", "vcs.modified", "true"),
			"(devel) (revision 202dd9ae892e, 2026-12-03T07:57:44Z, with uncommitted changes)"},
		{"no VCS stamp", vcs("(devel)"), "(devel, built without version control information)"},
		{"no build information", nil, "(devel, without build information)"},
	} {
		if got := versionOf(tt.bi); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if BuildVersion("v9") != "v9" {
		t.Error("a version set at build time is not reported as it is")
	}
}

// man prints a troff page made from the command tree: every command is in
// popi-tui's page, a command's page has its flags.
func TestManPage(t *testing.T) {
	e := newTestEnv(t)
	r := e.mustRun(ExitOK, "man")
	for _, want := range []string{`.TH "POPI-TUI" "1"`, "popi-tui 9.8.7-test", ".SH OPTIONS", "popi-tui-import(1)", "popi-tui-queue(1)", "popi-tui-completion(1)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("man lacks %q:\n%s", want, r.stdout)
		}
	}
	r = e.mustRun(ExitOK, "man", "export")
	for _, want := range []string{`.TH "POPI-TUI-EXPORT" "1"`, `\fB-o\fP, \fB--output\fP`, "--json"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("man export lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := e.mustRun(ExitUsage, "man", "frobnicate"); !strings.Contains(r.stderr, `no manual page for "frobnicate"`) {
		t.Errorf("man frobnicate: %q", r.stderr)
	}
	if exists(e.defaultDB()) {
		t.Error("man created the default database")
	}
}
