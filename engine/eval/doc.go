// Package eval measures how well summaries serve their users and what
// people's labels say: preference accuracy (accuracy.go), the judge's
// win rate (judge.go), label statistics (labelstats.go) and context
// saving (context.go), over the pure maths of eval/stats.
//
// Label statistics and context saving read the store only. Accuracy and
// the judge ask model servers, always through the engine, which keeps
// every prompt's wording, the client with its limits and retries, and
// the batch runner: they use engine.Engine's Server (a model server to
// score given responses with, or to send the judge's messages to),
// Backend, Generate, History, SelectUsers and DB, and engine's
// GeneratorMessages, JudgeMessages, StripReasoning, Conditions, RunJobs,
// CountError and SortErrors.
package eval
