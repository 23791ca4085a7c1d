package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
)

// echoKeyServer refuses every request with status, quoting the request's
// Authorization header back: the worst a proxy or a careless server does.
func echoKeyServer(t *testing.T, status int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"message":%q}}`, "bad key "+r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// No secret reaches the terminal or the database: not an API key, not
// the credentials of a base_url (user:pass@), in none of their forms,
// whatever a server echoes back in its errors, through every command that
// talks to a server.
func TestSecretsNeverPrintedOrStored(t *testing.T) {
	const key = "sk-live-9f8e7d6c5b4a/Secret+Key="
	const user, pass = "alice", "s3cr@t-Pa55"
	userinfo := user + ":" + pass
	b64 := base64.StdEncoding.EncodeToString
	secrets := []string{key, b64([]byte(key)), url.QueryEscape(key), pass, url.QueryEscape(pass),
		userinfo, b64([]byte(userinfo)), user + ":" + url.QueryEscape(pass)}

	echo, good := echoKeyServer(t, http.StatusUnauthorized), newModelServer(t)
	// Two replicas failing with 500: the notice that sets one aside names it.
	broken := []string{echoKeyServer(t, http.StatusInternalServerError).URL + "/v1", echoKeyServer(t, http.StatusInternalServerError).URL + "/v1"}
	withUser := func(u string) string { // u with the credentials in it
		return strings.Replace(u, "http://", "http://"+user+":"+url.QueryEscape(pass)+"@", 1)
	}
	// Two backends, the generator "fake" and the judge "judge", each at an
	// address with a way of authenticating.
	config := func(e *testEnv, fakeURLs []string, judgeURL, auth string) string {
		path := e.path("secrets.toml")
		urls, _ := json.Marshal(fakeURLs) // a TOML list of strings
		text := fmt.Sprintf("max_attempts = 1\n\n[[backend]]\nname = \"fake\"\nrole = [\"summarizer\", \"generator\"]\nbase_url = %s\nmodel = \"tiny\"\ntimeout = \"5s\"\n%s\n"+
			"[[backend]]\nname = \"judge\"\nrole = \"judge\"\nbase_url = %q\nmodel = \"j\"\ntimeout = \"5s\"\n%s\n", urls, auth, judgeURL, auth)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	type setup struct {
		fake        []string
		judge, auth string
	}
	const keyEnv = "api_key_env = \"POPI_TEST_KEY\"\n"
	bearer := setup{[]string{echo.URL + "/v1"}, echo.URL + "/v1", keyEnv}
	basic := setup{[]string{withUser(echo.URL) + "/v1"}, withUser(echo.URL) + "/v1", ""}
	// The judge's own refusal (a generator that answers, a judge that echoes).
	bearerJudge := setup{[]string{good.URL + "/v1"}, echo.URL + "/v1", keyEnv}
	basicJudge := setup{[]string{good.URL + "/v1"}, withUser(echo.URL) + "/v1", ""}
	brokenBasic := setup{[]string{withUser(broken[0]), withUser(broken[1])}, echo.URL + "/v1", ""}

	judge := []string{"eval", "--metric", "judge", "--backend", "fake", "--user", "terse-tom"}
	accuracy := []string{"eval", "--metric", "accuracy", "--backend", "fake", "--user", "terse-tom"}
	tests := []struct {
		name  string
		setup setup
		args  []string
		want  string // said on stdout or stderr: the failure is reported, without the secret
	}{
		{"backends/bearer", bearer, []string{"backends"}, "HTTP 401: bad key Bearer [redacted]"},
		{"backends/basic", basic, []string{"backends"}, "HTTP 401: bad key Basic [redacted]"},
		{"infer/bearer", bearer, []string{"infer", "--user", "terse-tom"}, "HTTP 401: bad key Bearer [redacted]"},
		{"infer/basic", basic, []string{"infer", "--user", "terse-tom"}, "HTTP 401: bad key Basic [redacted]"},
		{"generate/bearer", bearer, []string{"generate", "--user", "terse-tom", "--condition", "none"}, "HTTP 401: bad key Bearer [redacted]"},
		{"generate/basic", basic, []string{"generate", "--user", "terse-tom", "--condition", "none"}, "HTTP 401: bad key Basic [redacted]"},
		{"judge, generator refused/bearer", bearer, judge, "HTTP 401: bad key Bearer [redacted]"},
		{"judge, generator refused/basic", basic, judge, "HTTP 401: bad key Basic [redacted]"},
		{"judge refused/bearer", bearerJudge, judge, "HTTP 401: bad key Bearer [redacted]"},
		{"judge refused/basic", basicJudge, judge, "HTTP 401: bad key Basic [redacted]"},
		{"accuracy/bearer", bearer, accuracy, "HTTP 401: tokenize: bad key Bearer [redacted]"},
		{"accuracy/basic", basic, accuracy, "HTTP 401: tokenize: bad key Basic [redacted]"},
		{"replica set aside/basic", brokenBasic, []string{"infer"}, "replica http://[redacted]@127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.vars["POPI_TEST_KEY"] = key
			db := e.demoDB()
			e.mustRun(ExitOK, "infer", "--db", db, "--backend", "heuristic")
			args := append(append([]string{}, tt.args...), "--db", db, "--config", config(e, tt.setup.fake, tt.setup.judge, tt.setup.auth))
			r := e.run(args...)
			if r.code != ExitFailure {
				t.Errorf("exit %d, want %d", r.code, ExitFailure)
			}
			if !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("the output does not say %q\nstdout:\n%s\nstderr:\n%s", tt.want, r.stdout, r.stderr)
			}
			raw, err := os.ReadFile(db)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				for where, text := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "the database": string(raw)} {
					if strings.Contains(text, s) {
						t.Errorf("%q is in %s", s, where)
					}
				}
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			}
		})
	}
}
