package pipeline

import (
	"context"
	"sync"
)

// inOrder calls do(i) for every i from 0 to n-1 on workers goroutines, and
// use(i, result) on the calling goroutine in the order of i, as soon as
// result i and every one before it are done. At most 4 × workers results
// are made ahead of use, so memory does not grow with n however slowly use
// or one early do runs. Once use returns an error, or ctx is done, no
// further do starts; inOrder returns use's first error.
func inOrder[T any](ctx context.Context, n, workers int, do func(int) T, use func(int, T) error) error {
	type result struct {
		i int
		v T
	}
	window := 4 * workers
	jobs := make(chan int)
	results := make(chan result, window)
	tokens := make(chan struct{}, window)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				results <- result{i, do(i)}
			}
		})
	}
	go func() {
		defer close(jobs)
		for i := range n {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			case <-stop:
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			case <-stop:
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	waiting := map[int]T{}
	next := 0
	var err error
	for r := range results {
		waiting[r.i] = r.v
		for {
			v, ok := waiting[next]
			if !ok {
				break
			}
			delete(waiting, next)
			<-tokens
			if err == nil {
				if err = use(next, v); err != nil {
					close(stop)
				}
			}
			next++
		}
	}
	return err
}
