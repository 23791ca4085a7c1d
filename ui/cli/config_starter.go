package cli

// starterConfig is what popi-tui config init writes: the README's example
// configuration, pointed at the addresses llama.cpp, vLLM and Ollama
// listen on by default, every setting explained. It must load as it is
// (TestConfigInitWritesALoadableFile).
const starterConfig = `# popi-tui configuration (popi-tui config init). Check it with
# popi-tui config check; ask the servers with popi-tui backends.
# Every setting is optional but the backends' name, role, base_url and model.

# history_budget = 6000   # tokens of history the summarizer is given (the most recent signals are kept)
# concurrency    = 64     # requests in flight over all backends
# max_attempts   = 4      # tries of one request
# deadline       = "10m"  # longest any one request may take, however steadily it streams

[ui]
# theme     = "dark"      # dark | light | high-contrast; unset: follows the terminal
# annotator = "kim"       # recorded on every label; unset: your login name
# compare   = "backends"  # what labeling compares (--compare)
# prefetch  = 3           # items generated ahead while you label
# reveal    = "never"     # never | after: name the candidates after each decision
# skips     = "again"     # again: a skipped item comes back once, at the end | final
# team      = ["kim", "lee", "max"]  # a team campaign: each item goes to overlap of them
# overlap   = 2

# The POPI summarizer, served by llama.cpp:
#   llama-server -m popi-llama-3.2-3b.gguf --alias popi-llama-3.2-3b --port 8080
[[backend]]
name        = "popi"                       # shown in the UI (hidden while labeling blind)
role        = "summarizer"                 # summarizer | generator | judge, or a list
base_url    = "http://127.0.0.1:8080/v1"   # or a list of replicas serving the same model
model       = "popi-llama-3.2-3b"
# api_key_env = "POPI_API_KEY"             # the key comes from this variable only, never the file
# temperature = 0.6
# max_tokens  = 1024
# concurrency = 16                         # requests in flight to each replica
# timeout     = "120s"                     # longest wait for the first byte, and between two chunks

# A generator and judge served by vLLM:
#   vllm serve meta-llama/Llama-3.1-8B-Instruct --port 8000
[[backend]]
name     = "vllm-8b"
role     = ["generator", "judge"]
base_url = "http://127.0.0.1:8000/v1"      # replicas: ["http://gpu1:8000/v1", "http://gpu2:8000/v1"]
model    = "meta-llama/Llama-3.1-8B-Instruct"

# Ollama (ollama pull llama3.2; ollama serve):
# [[backend]]
# name     = "ollama"
# role     = "generator"
# base_url = "http://127.0.0.1:11434/v1"
# model    = "llama3.2"

# A hosted API:
# [[backend]]
# name        = "openai"
# role        = "judge"
# base_url    = "https://api.openai.com/v1"
# model       = "gpt-5-mini"
# api_key_env = "OPENAI_API_KEY"

# The embedded heuristic summarizer, under a name of your choice, as a baseline:
[[backend]]
name = "baseline"
kind = "offline"
role = "summarizer"
`
