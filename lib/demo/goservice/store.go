package main

import (
	"context"
	"database/sql"
)

type order struct {
	ID         int64  `json:"id"`
	Customer   string `json:"customer"`
	TotalCents int64  `json:"totalCents"`
	Status     string `json:"status"`
}

// orderStore is the orders repository. It closes what it opens.
type orderStore struct {
	db *sql.DB
	q  func(string) string
}

// recent returns a customer's latest orders. Callers that find the pool exhausted wait inside
// QueryContext (database/sql.(*DB).conn) until a connection frees up or ctx ends.
func (s *orderStore) recent(ctx context.Context, customer string, limit int) ([]order, error) {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT id, customer, total_cents, status FROM orders WHERE customer = ? ORDER BY id DESC LIMIT ?"), customer, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []order
	for rows.Next() {
		var o order
		if err := rows.Scan(&o.ID, &o.Customer, &o.TotalCents, &o.Status); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
