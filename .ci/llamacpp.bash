# llama.cpp's llama-server for .ci/llm-server (sourced by it; uses its say,
# die, apt_install, pid_alive, CACHE_DIR, REPO, MODEL, MODEL_LOOP, SENTENCE,
# NUM_PARALLEL and START_TIMEOUT).
#
# The source comes from the npm registry: node-llama-cpp's package ships the
# whole llama.cpp tree as a git bundle (llama/gitRelease.bundle). npm checks
# the tarball's integrity against the registry; the bundle's commit names the
# cached build, so a new package version or a new bundle builds again.

# Context: the slots share 131,072 cells (--kv-unified), and a request may
# use up to the model's own context (LLAMACPP_MODEL_CTX). Without
# --kv-unified each slot would get -c / --parallel. llama-server refuses a
# prompt longer than that (HTTP 400) where Ollama cuts it; the tiny models'
# tokenizer spends a token on every byte, so the demo users' prompts run to
# 8,000 tokens.
LLAMACPP_MODEL_CTX=32768
LLAMACPP_ARGS=(-c 131072 --parallel "$NUM_PARALLEL" --kv-unified --jinja)

ensure_llamacpp_deps() {
  local missing=()
  command -v cmake >/dev/null || missing+=(cmake)
  command -v git >/dev/null || missing+=(git)
  command -v g++ >/dev/null || missing+=(g++)
  command -v make >/dev/null || missing+=(make)
  command -v npm >/dev/null || missing+=(npm)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
}

# The node-llama-cpp tarball, fetched once into the cache.
llamacpp_tarball() {
  local tgz="$CACHE_DIR/node-llama-cpp-$LLAMACPP_NPM.tgz"
  if [ ! -s "$tgz" ]; then
    local tmp
    tmp="$(mktemp -d "$CACHE_DIR/npm.XXXXXX")"
    say "npm pack node-llama-cpp@$LLAMACPP_NPM (the llama.cpp source is in it)"
    if ! (cd "$tmp" && npm pack --silent "node-llama-cpp@$LLAMACPP_NPM") </dev/null >"$tmp/npm.log" 2>&1; then
      cat "$tmp/npm.log" >&2
      rm -rf "$tmp"
      die "npm pack node-llama-cpp@$LLAMACPP_NPM failed"
    fi
    mv "$tmp/node-llama-cpp-$LLAMACPP_NPM.tgz" "$tgz" || die "npm pack wrote no node-llama-cpp-$LLAMACPP_NPM.tgz"
    rm -rf "$tmp"
  fi
  echo "$tgz"
}

# Unpacks the bundle of tarball $1 into directory $2; prints its commit.
llamacpp_bundle() {
  local tgz="$1" dir="$2" commit
  tar -xzf "$tgz" -C "$dir" package/llama/gitRelease.bundle ||
    die "$tgz has no package/llama/gitRelease.bundle"
  commit="$(git bundle list-heads "$dir/package/llama/gitRelease.bundle" | awk '$2 == "HEAD" { print $1 }')"
  [[ "$commit" =~ ^[0-9a-f]{40}$ ]] || die "the bundle of node-llama-cpp@$LLAMACPP_NPM names no HEAD commit"
  echo "$commit"
}

# Prints the path of the cached llama-server, building it if needed.
llamacpp_bin() {
  mkdir -p "$CACHE_DIR"
  ensure_llamacpp_deps
  local tgz key_file commit
  tgz="$(llamacpp_tarball)"
  key_file="$tgz.commit" # the bundle's commit, read once
  if [ ! -s "$key_file" ]; then
    local tmp
    tmp="$(mktemp -d "$CACHE_DIR/bundle.XXXXXX")"
    llamacpp_bundle "$tgz" "$tmp" >"$key_file.tmp"
    mv "$key_file.tmp" "$key_file"
    rm -rf "$tmp"
  fi
  commit="$(cat "$key_file")"
  local dest="$CACHE_DIR/llama-server-$LLAMACPP_NPM-${commit:0:12}-$(uname -m)"
  local bin="$dest/llama-server"
  if [ -x "$bin" ] && [ -f "$dest/ok" ]; then
    echo "$bin"
    return
  fi
  exec 8>"$CACHE_DIR/build-llamacpp.lock"
  if command -v flock >/dev/null; then
    flock 8
  fi
  if [ -x "$bin" ] && [ -f "$dest/ok" ]; then
    exec 8>&-
    echo "$bin"
    return
  fi
  local log="$CACHE_DIR/build-llamacpp-$LLAMACPP_NPM.log" tmp start=$SECONDS
  tmp="$(mktemp -d "$CACHE_DIR/build-llamacpp.XXXXXX")"
  say "building llama-server (llama.cpp ${commit:0:12} from node-llama-cpp@$LLAMACPP_NPM) on CPU; a cold build takes about 10 minutes on 2 cores (log: $log)"
  llamacpp_bundle "$tgz" "$tmp" >/dev/null
  # Static (one file to cache), portable (no -march=native: the cache may
  # outlive the CPU), no network (no curl, no prebuilt web UI download).
  if ! {
    git clone -q "$tmp/package/llama/gitRelease.bundle" "$tmp/src" &&
      cmake -S "$tmp/src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
        -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF &&
      cmake --build "$tmp/build" --target llama-server -j "$(nproc)"
  } </dev/null >"$log" 2>&1; then
    rm -rf "$tmp"
    echo "---- last lines of $log ----" >&2
    tail -n 40 "$log" >&2
    die "building llama-server failed (full log: $log)"
  fi
  [ -x "$tmp/build/bin/llama-server" ] || die "cmake succeeded but $tmp/build/bin/llama-server is missing"
  rm -rf "$dest"
  mkdir -p "$dest"
  mv "$tmp/build/bin/llama-server" "$bin"
  rm -rf "$tmp"
  echo "llama.cpp $commit (node-llama-cpp@$LLAMACPP_NPM) built in $((SECONDS - start))s" >"$dest/ok"
  say "built $bin in $((SECONDS - start))s"
  exec 8>&-
  echo "$bin"
}

# The PID in DIR/llamacpp-NAME.pid if that process is still our llama-server.
llamacpp_pid() {
  local file="$1" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'llama-server' || return 1
  echo "$pid"
}

stop_llamacpp() {
  local dir="$1" file pid _
  for file in "$dir"/llamacpp-*.pid; do
    [ -e "$file" ] || continue
    if pid="$(llamacpp_pid "$file")"; then
      say "stopping llama-server $(basename "$file" .pid) (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        pid_alive "$pid" || break
        sleep 0.1
      done
      if pid_alive "$pid"; then
        say "still running after 10s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
      fi
      pid_alive "$pid" && die "could not stop llama-server pid $pid"
    fi
    rm -f "$file"
  done
}

# Starts one llama-server for model file $3 under name $2 (alias "" for
# none) in DIR $1; prints its base URL once /health answers.
start_llamacpp_one() {
  local dir="$1" name="$2" gguf="$3" alias="$4" bin="$5"
  local log="$dir/llamacpp-$name.log" pidfile="$dir/llamacpp-$name.pid"
  local args=(-m "$gguf" --host 127.0.0.1 --port 0 "${LLAMACPP_ARGS[@]}")
  [ -n "$alias" ] && args+=(--alias "$alias")
  : >"$log"
  # shellcheck disable=SC2016 # $$, $1 and $2 belong to the inner shell
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" "$bin" "${args[@]}" </dev/null >>"$log" 2>&1 &
  local port="" pid="" waited=0
  while [ "$waited" -lt $((START_TIMEOUT * 10)) ]; do
    [ -z "$pid" ] && [ -s "$pidfile" ] && pid="$(cat "$pidfile")"
    if [ -n "$pid" ] && ! pid_alive "$pid"; then
      tail -n 40 "$log" >&2
      die "llama-server $name exited during startup"
    fi
    [ -z "$port" ] && port="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)"
    if [ -n "$port" ] && curl --noproxy "*" -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/health" 2>/dev/null; then
      echo "http://127.0.0.1:$port/v1"
      return
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  tail -n 40 "$log" >&2
  die "llama-server $name did not answer /health within ${START_TIMEOUT}s"
}

# Checks that the server at URL $1 answers model $2 with the sentence.
check_llamacpp_answer() {
  local url="$1" model="$2" body content
  body="$(curl --noproxy "*" -sS --max-time 120 "$url/chat/completions" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"ready?\"}],\"max_tokens\":9}")" ||
    return 1
  content="$(printf '%s' "$body" | sed -n 's/.*"content":"\([^"]*\)".*/\1/p')"
  if [ "$content" != "$SENTENCE" ]; then
    echo "---- response of $url ----" >&2
    echo "$body" >&2
    return 1
  fi
}

start_llamacpp() {
  local dir="$1" file start=$SECONDS
  command -v curl >/dev/null || apt_install curl
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  for file in "$dir"/llamacpp-*.pid; do
    [ -e "$file" ] && llamacpp_pid "$file" >/dev/null && die "a llama-server is already running for $dir; run: $0 stop $dir"
  done
  rm -f "$dir"/llamacpp-*.pid "$dir/env"

  local bin
  bin="$(llamacpp_bin)"
  say "using $bin ($(cat "$(dirname "$bin")/ok"))"

  say "writing the tiny models into $dir"
  (cd "$REPO" && go build -o "$dir/tinygguf" ./engine/internal/tinygguf/cmd/tinygguf) </dev/null >&2 ||
    die "building engine/internal/tinygguf/cmd/tinygguf failed"
  "$dir/tinygguf" -o "$dir/$MODEL.gguf" -ctx "$LLAMACPP_MODEL_CTX" || die "writing $dir/$MODEL.gguf failed"
  "$dir/tinygguf" -o "$dir/$MODEL_LOOP.gguf" -ctx "$LLAMACPP_MODEL_CTX" -loop || die "writing $dir/$MODEL_LOOP.gguf failed"

  local started=$SECONDS url url_loop url_noalias
  trap 'stop_llamacpp "$dir"' ERR
  url="$(start_llamacpp_one "$dir" "$MODEL" "$dir/$MODEL.gguf" "$MODEL" "$bin")"
  url_loop="$(start_llamacpp_one "$dir" "$MODEL_LOOP" "$dir/$MODEL_LOOP.gguf" "$MODEL_LOOP" "$bin")"
  url_noalias="$(start_llamacpp_one "$dir" noalias "$dir/$MODEL.gguf" "" "$bin")"
  check_llamacpp_answer "$url" "$MODEL" && check_llamacpp_answer "$url_loop" "$MODEL_LOOP" &&
    check_llamacpp_answer "$url_noalias" "$dir/$MODEL.gguf" || {
    stop_llamacpp "$dir"
    die "a llama-server did not answer with the tiny model's sentence"
  }
  trap - ERR
  say "ready in $((SECONDS - start))s (servers started and answering in $((SECONDS - started))s): $url ($MODEL), $url_loop ($MODEL_LOOP), $url_noalias (no --alias)"
  {
    echo "export POPI_LLAMACPP_URL=$url"
    echo "export POPI_LLAMACPP_MODEL=$MODEL"
    echo "export POPI_LLAMACPP_URL_LOOP=$url_loop"
    echo "export POPI_LLAMACPP_MODEL_LOOP=$MODEL_LOOP"
    echo "export POPI_LLAMACPP_URL_NOALIAS=$url_noalias"
    echo "export POPI_LLAMACPP_MODEL_PATH=$dir/$MODEL.gguf"
    echo "export POPI_LLAMACPP_EXPECT='$SENTENCE'"
  } | tee "$dir/env"
}
