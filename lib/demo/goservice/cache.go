package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// orderCache keeps each customer's recent orders in memory. warm refreshes many customers at
// once, one goroutine each, with retries: when the pool is exhausted every one of those
// goroutines waits in database/sql.(*DB).conn under main.(*orderStore).recent.
type orderCache struct {
	store    *orderStore
	mu       sync.Mutex
	entries  map[string][]order
	inFlight atomic.Int64
}

func newOrderCache(store *orderStore) *orderCache {
	return &orderCache{store: store, entries: map[string][]order{}}
}

// warm starts one refresh per customer ("customer-0" … "customer-9", round robin) and returns.
func (c *orderCache) warm(ctx context.Context, n int) {
	for i := 0; i < n; i++ {
		go c.refresh(ctx, fmt.Sprintf("customer-%d", i%10))
	}
}

func (c *orderCache) refresh(ctx context.Context, customer string) {
	c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	var orders []order
	err := retry(ctx, 3, 200*time.Millisecond, func(ctx context.Context) error {
		var err error
		orders, err = c.load(ctx, customer)
		return err
	})
	if err != nil {
		return
	}
	c.mu.Lock()
	c.entries[customer] = orders
	c.mu.Unlock()
}

func (c *orderCache) load(ctx context.Context, customer string) ([]order, error) {
	return c.store.recent(ctx, customer, 20)
}

// retry calls fn up to attempts times, sleeping backoff between failures, until ctx ends.
func retry(ctx context.Context, attempts int, backoff time.Duration, fn func(context.Context) error) error {
	var err error
	for i := 0; i < attempts; i++ {
		if err = fn(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
	return err
}
