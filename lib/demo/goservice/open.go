package main

// openDB opens the pool. With -db-source-addr the database connections leave from that local
// address, as a pod's leave from its pod IP: tests run several "replicas" on one machine, each
// on its own loopback address, behind one PgBouncer.

import (
	"context"
	"database/sql"
	"net"
	"time"

	"github.com/lib/pq"
)

type sourceDialer struct{ d net.Dialer }

func (s sourceDialer) Dial(network, address string) (net.Conn, error) {
	return s.d.Dial(network, address)
}

func (s sourceDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	d := s.d
	d.Timeout = timeout
	return d.Dial(network, address)
}

func (s sourceDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return s.d.DialContext(ctx, network, address)
}

func openDB(driver, source, sourceAddr string) (*sql.DB, error) {
	if sourceAddr == "" || driver != "postgres" {
		return sql.Open(driver, source)
	}
	connector, err := pq.NewConnector(source)
	if err != nil {
		return nil, err
	}
	connector.Dialer(sourceDialer{net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(sourceAddr)}}})
	return sql.OpenDB(connector), nil
}
