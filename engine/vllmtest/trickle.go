package vllmtest

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// Trickle is a server that answers every request without ever finishing,
// a little every interval, until the client hangs up: chat completions
// as a stream of empty chunks, anything else as a body one byte at a
// time. No wait is long, so an idle timeout never fires: only an overall
// deadline ends a request to it. requests, when not nil, counts them.
func Trickle(every time.Duration, requests func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests != nil {
			requests()
		}
		io.Copy(io.Discard, r.Body)
		stream := r.URL.Path == "/v1/chat/completions"
		if stream {
			w.Header().Set("Content-Type", "text/event-stream")
		}
		for {
			if stream {
				fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":null}]}\n\n")
			} else {
				w.Write([]byte(" "))
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(every):
			}
		}
	})
}
